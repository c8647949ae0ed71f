// The people in the meeting, with their count, roles, microphone and
// camera, connection quality and E2EE state; for the owner, promoted
// moderators and superadmins, a menu per person (the module's moderation
// routes, bedrud-api.md §6) and the room's ban list with unban. What the
// server answers, success or error, is shown.

import {
  CameraDisabledIcon, CameraIcon, ConnectionQualityIndicator, MicDisabledIcon, MicIcon,
  ParticipantContext, ScreenShareIcon, useIsMuted, useParticipants,
} from '@livekit/components-react';
import { Track, type Participant } from 'livekit-client';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import * as api from '../api';
import { accessesOf, useMeeting } from './context';
import { E2EEMark } from './status';

const ACTIONS: { action: api.ModAction; label: string; confirm?: string;
                 when?: (p: Participant, mod: boolean) => boolean }[] = [
  { action: 'mute', label: 'Mute microphone',
    when: (p) => !!p.getTrackPublication(Track.Source.Microphone) },
  { action: 'video-off', label: 'Turn camera off',
    when: (p) => !!p.getTrackPublication(Track.Source.Camera) },
  { action: 'screenshare-stop', label: 'Stop screen share',
    when: (p) => !!p.getTrackPublication(Track.Source.ScreenShare) },
  { action: 'promote', label: 'Make moderator', when: (_p, mod) => !mod },
  { action: 'demote', label: 'Remove moderator role', when: (_p, mod) => mod },
  { action: 'kick', label: 'Remove from meeting', confirm: 'Remove' },
  { action: 'ban', label: 'Ban from room', confirm: 'Ban' },
];

const DONE: Record<api.ModAction, string> = {
  mute: 'muted', 'video-off': 'camera turned off', 'screenshare-stop': 'screen share stopped',
  promote: 'is now a moderator', demote: 'is no longer a moderator',
  kick: 'removed from the meeting', ban: 'banned from the room', unban: 'unbanned',
};

export function PeoplePanel() {
  const participants = useParticipants();
  const m = useMeeting();
  const [bansVersion, setBansVersion] = useState(0);
  return (
    <section className="people" aria-labelledby="people-h">
      <h2 id="people-h">People <span data-testid="people-count">({participants.length})</span></h2>
      <ul className="people-list" data-testid="people">
        {participants.map((p) => (
          <ParticipantContext.Provider key={p.identity} value={p}>
            <Person p={p} onBanned={() => setBansVersion((v) => v + 1)} />
          </ParticipantContext.Provider>
        ))}
      </ul>
      {m.can('unban') && <Bans version={bansVersion} />}
    </section>
  );
}

function Person({ p, onBanned }: { p: Participant; onBanned: () => void }) {
  const m = useMeeting();
  const micMuted = useIsMuted({ participant: p, source: Track.Source.Microphone });
  const camMuted = useIsMuted({ participant: p, source: Track.Source.Camera });
  const roles = accessesOf(p.metadata);
  const moderator = roles.includes('moderator');
  const name = p.name || p.identity;
  const hasMic = !!p.getTrackPublication(Track.Source.Microphone);
  const hasCam = !!p.getTrackPublication(Track.Source.Camera);
  const sharing = !!p.getTrackPublication(Track.Source.ScreenShare);
  const actions = p.isLocal ? [] : ACTIONS.filter((a) => m.can(a.action)
    && (!a.when || a.when(p, moderator)));

  return (
    <li className="person" data-testid="person" data-identity={p.identity} data-name={name}
        data-mic={hasMic && !micMuted ? 'on' : 'off'}
        data-camera={hasCam && !camMuted ? 'on' : 'off'}>
      <div className="who">
        <span className="name">{name}{p.isLocal && ' (you)'}</span>
        {p.identity === m.ownerId && <span className="tag">host</span>}
        {moderator && <span className="tag">moderator</span>}
        {p.identity.startsWith('guest-') && <span className="tag">guest</span>}
      </div>
      <div className="state">
        <span className="dev" data-state={hasMic && !micMuted ? 'on' : 'off'}>
          {hasMic && !micMuted ? <MicIcon /> : <MicDisabledIcon />}
          {hasMic && !micMuted ? 'mic on' : 'muted'}
        </span>
        <span className="dev" data-state={hasCam && !camMuted ? 'on' : 'off'}>
          {hasCam && !camMuted ? <CameraIcon /> : <CameraDisabledIcon />}
          {hasCam && !camMuted ? 'camera on' : 'camera off'}
        </span>
        {sharing && <span className="dev"><ScreenShareIcon /> sharing</span>}
        <E2EEMark participant={p} />
        <ConnectionQualityIndicator />
      </div>
      {actions.length > 0 && <ModMenu p={p} name={name} actions={actions} onBanned={onBanned} />}
    </li>
  );
}

function ModMenu({ p, name, actions, onBanned }: {
  p: Participant; name: string; actions: typeof ACTIONS; onBanned: () => void;
}) {
  const m = useMeeting();
  const [open, setOpen] = useState(false);
  const [confirm, setConfirm] = useState<api.ModAction | null>(null);
  const [busy, setBusy] = useState(false);
  const menuId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (open) menu.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, [open, confirm]);

  const close = () => { setOpen(false); setConfirm(null); button.current?.focus(); };
  const run = async (action: api.ModAction) => {
    setBusy(true);
    try {
      const r = await api.moderate(m.join.id, action, p.identity);
      m.notify(r.status === 'already_moderator' ? `${name} is already a moderator.`
                                                : `${name}: ${DONE[action]}.`, 'ok');
      if (action === 'ban') onBanned();
      // the room key must change: the server's "rekey" says so too
      if (m.e2ee && (action === 'kick' || action === 'ban')) m.removedByMe(p.identity);
      close();
    } catch (e) {
      m.notify(`Could not ${ACTIONS.find((a) => a.action === action)?.label.toLowerCase()
        ?? action} for ${name}: ${(e as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="mod">
      <button type="button" ref={button} className="lk-button menu-button"
              aria-haspopup="menu" aria-expanded={open} aria-controls={menuId}
              data-testid="mod-menu" aria-label={`Moderate ${name}`}
              onClick={() => (open ? close() : setOpen(true))}>⋯</button>
      {open && (
        <div id={menuId} ref={menu} role="menu" className="menu" aria-label={`Moderate ${name}`}
             onKeyDown={(e) => {
               if (e.key === 'Escape') { e.preventDefault(); close(); }
               if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                 e.preventDefault();
                 const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
                 const i = items.indexOf(document.activeElement as HTMLButtonElement);
                 items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
               }
             }}>
          {confirm
            ? (
              <>
                <p className="confirm-text">
                  {confirm === 'ban' ? `Ban ${name}? They cannot come back into this room until unbanned.`
                                     : `Remove ${name} from the meeting? They can join again with the link.`}
                </p>
                <button type="button" role="menuitem" className="danger" disabled={busy}
                        data-testid={`confirm-${confirm}`} onClick={() => { void run(confirm); }}>
                  {ACTIONS.find((a) => a.action === confirm)?.confirm} {name}
                </button>
                <button type="button" role="menuitem" onClick={() => setConfirm(null)}>Cancel</button>
              </>
            )
            : actions.map((a) => (
              <button key={a.action} type="button" role="menuitem" disabled={busy}
                      data-testid={`mod-${a.action}`}
                      className={a.confirm ? 'danger' : undefined}
                      onClick={() => (a.confirm ? setConfirm(a.action) : void run(a.action))}>
                {a.label}{a.confirm ? '…' : ''}
              </button>
            ))}
        </div>
      )}
    </div>
  );
}

function Bans({ version }: { version: number }) {
  const m = useMeeting();
  const [bans, setBans] = useState<api.Ban[] | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(() => {
    api.listBans(m.join.id).then((b) => { setBans(b); setError(''); })
      .catch((e: Error) => setError(`Could not read the ban list: ${e.message}`));
  }, [m.join.id]);
  useEffect(load, [load, version]);

  const unban = async (b: api.Ban) => {
    try {
      await api.moderate(m.join.id, 'unban', b.identity);
      m.notify(`${b.name || b.identity} is no longer banned.`, 'ok');
      load();
    } catch (e) {
      m.notify(`Could not unban ${b.name || b.identity}: ${(e as Error).message}`, 'error');
    }
  };

  return (
    <section className="bans" aria-labelledby="bans-h" data-testid="bans">
      <h3 id="bans-h">Banned from this room</h3>
      {error && <p className="error" role="alert">{error}</p>}
      {bans && bans.length === 0 && <p className="hint">Nobody is banned.</p>}
      {bans && bans.length > 0 && (
        <ul>
          {bans.map((b) => (
            <li key={b.identity} data-testid="ban" data-identity={b.identity}>
              <span>{b.name || b.identity}</span>
              <button type="button" className="lk-button" data-testid="unban"
                      onClick={() => { void unban(b); }}>Unban</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
