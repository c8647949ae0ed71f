// One room, live: its E2EE setting (green or red dot, switchable), and who
// is in it now, from LiveKit, with each published track and whether its
// publisher encrypts it (what LiveKit was told: GCM or custom = encrypted
// end to end, NONE = not). In an E2EE room an unencrypted track is a
// problem and is flagged. Kick and mute act through LiveKit.

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import * as admin from '../api-admin';
import { describeError } from '../errors';
import { Dialog, E2EEDot, ErrorNote, people, when } from '../ui';
import { CloseRoomDialog, useOwners } from './Rooms';

const POLL_MS = 3000;

const SOURCES: Record<string, string> = {
  CAMERA: 'Camera', MICROPHONE: 'Microphone', SCREEN_SHARE: 'Screen share',
  SCREEN_SHARE_AUDIO: 'Screen share audio',
};

export function trackEncrypted(t: admin.LiveTrack): boolean {
  return t.encryption === 'GCM' || t.encryption === 'CUSTOM';
}

function Track({ t, e2ee }: { t: admin.LiveTrack; e2ee: boolean }) {
  const enc = trackEncrypted(t);
  const label = enc ? `Encrypted (${t.encryption === 'GCM' ? 'AES-GCM' : 'custom'})` : 'Not encrypted';
  return (
    <li className="track" data-testid="track" data-source={t.source} data-encryption={t.encryption}
        data-problem={e2ee && !enc}>
      <span className="dot" data-state={enc ? 'on' : 'off'} aria-hidden />
      <span>{SOURCES[t.source] ?? `${t.type.toLowerCase()} (${t.source.toLowerCase()})`}</span>
      <span className={enc ? 'enc ok' : e2ee ? 'enc bad' : 'enc'}>{label}</span>
      {t.muted && <span className="tag">muted</span>}
    </li>
  );
}

export function RoomDetail({ id }: { id: string }) {
  const qc = useQueryClient();
  const live = useQuery({ queryKey: ['admin', 'participants', id],
                          queryFn: () => admin.participants(id), refetchInterval: POLL_MS });
  const owner = useOwners();
  const [kicking, setKicking] = useState<admin.LiveParticipant | null>(null);
  const [closing, setClosing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const room = live.data?.room;
  const list = live.data?.participants ?? [];

  const act = (what: Promise<unknown>, said: string) => {
    setError(null);
    setDone('');
    setBusy(true);
    what.then(() => { setDone(said); void qc.invalidateQueries({ queryKey: ['admin'] }); })
      .catch(setError)
      .finally(() => setBusy(false));
  };

  return (
    <section data-testid="admin-room-detail" data-room={room?.name}>
      <p><Link href="/rooms">← All rooms</Link></p>
      {live.isPending && <p className="loading" role="status">Asking LiveKit who is in the room…</p>}
      {live.isError && !live.data && (
        <div className="notice error" role="alert" data-testid="detail-error">
          {describeError(live.error)}
        </div>
      )}
      {room && (
        <>
          <div className="page-head">
            <h2 className="room-title">
              <E2EEDot on={room.settings.e2ee} /> {room.name}
            </h2>
            <span className="muted">
              {room.settings.e2ee ? 'End-to-end encrypted' : 'Not end-to-end encrypted'}
              {' · '}owner {owner(room.adminId || room.createdBy)}
              {' · '}{room.isActive ? 'active' : 'closed'}
              {' · '}{(room.maxParticipants ?? 0) > 0 ? `up to ${people(room.maxParticipants!)}` : 'no limit'}
              {room.isPublic ? ' · guests allowed' : ''}
            </span>
          </div>
          <div className="row">
            <label className="check">
              <input type="checkbox" data-testid="admin-e2ee-toggle" checked={room.settings.e2ee}
                     disabled={busy}
                     onChange={(e) => act(admin.updateRoom(room.id, { settings: { e2ee: e.target.checked } }),
                                          e.target.checked ? 'End-to-end encryption is on for joins from now on.'
                                            : 'End-to-end encryption is off for joins from now on.')} />
              <span>End-to-end encryption (applies to joins after the change)</span>
            </label>
            <span className="spacer" />
            <button type="button" className="danger" disabled={!room.isActive}
                    data-testid="admin-detail-close" onClick={() => setClosing(true)}>
              Close the room
            </button>
          </div>
          <ErrorNote error={error} testid="detail-action-error" />
          <p className="done" role="status">{done}</p>
          {live.isError && <ErrorNote error={live.error} />}

          <h3>In the meeting now: {people(list.length)}</h3>
          {list.length === 0 && <p className="muted" data-testid="nobody">Nobody is connected.</p>}
          <ul className="participants">
            {list.map((p) => {
              const bad = room.settings.e2ee && p.tracks.some((t) => !trackEncrypted(t));
              const mic = p.tracks.find((t) => t.source === 'MICROPHONE');
              return (
                <li key={p.sid || p.identity} className="participant card" data-testid="live-participant"
                    data-identity={p.identity} data-name={p.name} data-problem={bad}>
                  <div className="row">
                    <strong>{p.name || p.identity}</strong>
                    <span className="muted">{p.identity}</span>
                    <span className="muted">joined {when(new Date(p.joinedAt * 1000).toISOString())}</span>
                    <span className="spacer" />
                    <button type="button" className="small" data-testid="admin-mute"
                            disabled={busy || !mic || mic.muted}
                            onClick={() => act(admin.mute(room.id, p.identity),
                                               `${p.name || p.identity}'s microphone is muted.`)}>
                      Mute
                    </button>
                    <button type="button" className="small danger" data-testid="admin-kick"
                            disabled={busy} onClick={() => setKicking(p)}>Remove</button>
                  </div>
                  {bad && (
                    <p className="warn-text" data-testid="unencrypted-warning">
                      This room is end-to-end encrypted, but this participant sends media
                      without encryption.
                    </p>
                  )}
                  {p.tracks.length === 0
                    ? <p className="muted">Publishes nothing.</p>
                    : <ul className="tracks">{p.tracks.map((t) => <Track key={t.sid} t={t} e2ee={room.settings.e2ee} />)}</ul>}
                </li>
              );
            })}
          </ul>
          <Dialog open={kicking !== null} onClose={() => setKicking(null)} testid="kick-dialog"
                  title={kicking ? `Remove ${kicking.name || kicking.identity}?` : 'Remove'}>
            {kicking && (
              <div className="dialog-body">
                <p>They leave the meeting now and are told a moderator removed them. They can
                  join again (ban them from the meeting's people list to keep them out).
                  {room.settings.e2ee ? ' The people in an encrypted meeting are asked to change its key.' : ''}</p>
                <div className="row end">
                  <button type="button" className="danger" data-testid="confirm-kick"
                          onClick={() => {
                            const p = kicking;
                            setKicking(null);
                            act(admin.kick(room.id, p.identity), `${p.name || p.identity} was removed.`);
                          }}>Remove</button>
                  <button type="button" onClick={() => setKicking(null)}>Cancel</button>
                </div>
              </div>
            )}
          </Dialog>
          <CloseRoomDialog room={closing ? room : null} onClose={() => setClosing(false)} />
        </>
      )}
    </section>
  );
}
