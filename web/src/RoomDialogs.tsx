// Creating a room and changing one: the same controls in both dialogs
// (end-to-end encryption on by default, audio, video, chat, capacity,
// guests), and deleting one, after a confirmation.
//
// What a change means for a meeting in progress (said in the dialog, and
// tested by t/913): every setting applies to the people who join after
// the change. Nobody in the meeting is removed or changed: their LiveKit
// tokens were made with the old settings, and their browsers encrypt, or
// not, as the room said when they joined. So turning end-to-end
// encryption on makes the joins after it encrypted, with a new key made
// here (the new link is shown at once), while the people already in stay
// unencrypted until they leave; the two groups cannot see or hear each
// other meanwhile.

import { useQueryClient } from '@tanstack/react-query';
import {
  Globe, MessageSquare, Mic, ShieldCheck, Users, Video,
} from 'lucide-react';
import { useState, type ReactNode } from 'react';
import * as api from './api';
import { describeError } from './errors';
import { forgetKey, meetingLink, newRoomKey, toFragment } from './keys';
import { navigate } from './nav';
import { givePageKey } from './pagekey';
import { CopyButton, Dialog, people } from './ui';

/** The room settings as the dialogs edit them. */
export interface RoomChoice {
  e2ee: boolean;
  audio: boolean;
  video: boolean;
  chat: boolean;
  guests: boolean;
  /** 0: no limit */
  max: number;
}

export const NEW_ROOM: RoomChoice = {
  e2ee: true, audio: true, video: true, chat: true, guests: false, max: 20,
};

export function choiceOf(r: api.Room): RoomChoice {
  return {
    e2ee: r.settings.e2ee, audio: r.settings.allowAudio, video: r.settings.allowVideo,
    chat: r.settings.allowChat, guests: !!r.isPublic,
    max: Math.max(0, r.maxParticipants ?? 0),
  };
}

function request(c: RoomChoice, r?: api.Room): Omit<api.CreateRoom, 'name'> {
  return {
    isPublic: c.guests,
    maxParticipants: c.max,
    settings: { e2ee: c.e2ee, allowAudio: c.audio, allowVideo: c.video, allowChat: c.chat,
                requireApproval: r?.settings.requireApproval ?? false },
  };
}

const CHIPS: { key: keyof Omit<RoomChoice, 'max'>; label: string; icon: ReactNode;
               on: string; off: string }[] = [
  { key: 'e2ee', label: 'E2E', icon: <ShieldCheck aria-hidden size={16} />,
    on: 'End-to-end encrypted: the key is made in your browser and travels only in the link.',
    off: 'Not end-to-end encrypted: the media server can see and hear the meeting.' },
  { key: 'audio', label: 'Audio', icon: <Mic aria-hidden size={16} />,
    on: '', off: 'Nobody can use a microphone.' },
  { key: 'video', label: 'Video', icon: <Video aria-hidden size={16} />,
    on: '', off: 'Nobody can use a camera or share a screen.' },
  { key: 'chat', label: 'Chat', icon: <MessageSquare aria-hidden size={16} />,
    on: '', off: 'Nobody can send chat messages.' },
  { key: 'guests', label: 'Guests', icon: <Globe aria-hidden size={16} />,
    on: 'People without an account may join with the link, under a name they choose.',
    off: 'Only people with an account may join.' },
];

/** The controls: feature chips (checkboxes) and the capacity. */
function RoomFields({ value, onChange }: {
  value: RoomChoice; onChange: (c: RoomChoice) => void;
}) {
  const said = CHIPS.map((c) => (value[c.key] ? c.on : c.off)).filter(Boolean);
  return (
    <>
      <fieldset className="chips">
        <legend>Features</legend>
        {CHIPS.map((c) => (
          <label key={c.key} className="chip" data-on={value[c.key]}>
            <input type="checkbox" name={c.key} checked={value[c.key]}
                   onChange={(e) => onChange({ ...value, [c.key]: e.target.checked })} />
            {c.icon}<span>{c.label}</span>
          </label>
        ))}
      </fieldset>
      <ul className="hints" data-testid="room-hints">
        {said.map((t) => <li key={t}>{t}</li>)}
      </ul>
      <label className="inline">
        <Users aria-hidden size={16} />
        <span>Most people at once (0: no limit)</span>
        <input type="number" name="max" min={0} max={1000} step={1} required
               value={value.max}
               onChange={(e) => onChange({ ...value,
                                           max: Math.max(0, Math.floor(Number(e.target.value) || 0)) })} />
      </label>
    </>
  );
}

function Busy({ busy, error, children }: { busy: boolean; error: string; children: ReactNode }) {
  return (
    <>
      <p className="error" role="alert">{error}</p>
      <div className="row end" aria-busy={busy}>{children}</div>
    </>
  );
}

/**
 * A new room; joined at once. An E2EE room's key is made here, goes into
 * the meeting link's fragment only, and the meeting opens its invite
 * panel (the key-sharing panel) since the room was just created.
 */
export function CreateRoomDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [choice, setChoice] = useState<RoomChoice>(NEW_ROOM);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const qc = useQueryClient();
  return (
    <Dialog open={open} onClose={onClose} title="New room" testid="create-dialog">
      <form id="create" className="dialog-body" onSubmit={(e) => {
        e.preventDefault();
        const name = String(new FormData(e.currentTarget).get('room') ?? '').trim();
        setError('');
        setBusy(true);
        api.createRoom({ name, ...request(choice) })
          .then((room) => {
            void qc.invalidateQueries({ queryKey: ['rooms'] });
            const path = `/r/${encodeURIComponent(room.name)}`;
            // the key is made here and only ever lives in the link
            navigate(room.settings.e2ee ? `${path}#${toFragment(newRoomKey())}` : path,
                     { created: true });
          })
          .catch((x: unknown) => setError(describeError(x)))
          .finally(() => setBusy(false));
      }}>
        <label>
          <span>Room name (empty: one is made up)</span>
          <input name="room" maxLength={63} autoComplete="off"
                 placeholder="team-standup" />
        </label>
        <RoomFields value={choice} onChange={setChoice} />
        <Busy busy={busy} error={error}>
          <button type="submit" className="primary" disabled={busy}>Create and join</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </Busy>
      </form>
    </Dialog>
  );
}

/** What saving `next` over `room` does to the meeting going on now. */
export function inProgress(room: api.OwnRoom, next: RoomChoice): string[] {
  const was = choiceOf(room);
  const out: string[] = [];
  const n = room.activeNow;
  if (n > 0) out.push(`${people(n)} ${n === 1 ? 'is' : 'are'} in this meeting now.`);
  out.push('Changes apply to the people who join after you save. Nobody in the meeting now '
           + 'is removed, and their meeting does not change until they leave and join again.');
  if (next.e2ee && !was.e2ee) {
    out.push('Turning end-to-end encryption on: the people who join after the change join '
             + 'encrypted, with a new link made now (it holds the key). '
             + (n > 0 ? 'The people in the meeting now stay unencrypted until they join again '
                        + 'with the new link; until then, they and the people who join '
                        + 'encrypted cannot see or hear each other.'
               : ''));
  }
  if (!next.e2ee && was.e2ee) {
    out.push('Turning end-to-end encryption off: the people who join after the change join '
             + 'without encryption, and the key in the old links is no longer used. '
             + (n > 0 ? 'The people in the meeting now stay encrypted until they join again; '
                        + 'until then, the two groups cannot see or hear each other.' : ''));
  }
  if (next.max !== was.max && next.max > 0 && n > next.max) {
    out.push(`The new limit is below the ${people(n)} in the meeting: nobody is removed, `
             + 'but nobody else can join until enough have left.');
  }
  if (was.guests && !next.guests) {
    out.push('Guests already in the meeting stay; new guests cannot join.');
  }
  return out;
}

/** The owner's settings of a room, with what a change does to a meeting in progress. */
export function RoomSettingsDialog({ room, onClose }: {
  room: api.OwnRoom | null; onClose: () => void;
}) {
  return (
    <Dialog open={room !== null} onClose={onClose} testid="settings-dialog"
            title={room ? `Settings of ${room.name}` : 'Settings'}>
      {room && <SettingsBody key={room.id} room={room} onClose={onClose} />}
    </Dialog>
  );
}

function SettingsBody({ room, onClose }: { room: api.OwnRoom; onClose: () => void }) {
  const [choice, setChoice] = useState<RoomChoice>(() => choiceOf(room));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [link, setLink] = useState('');
  const qc = useQueryClient();
  const notes = inProgress(room, choice);

  if (link) {
    return (
      <div className="dialog-body" data-testid="new-link">
        <p className="notice ok" role="status">
          Saved. The room is end-to-end encrypted from now on. This is its new link: the part
          after <code>#key=</code> is the key, made in this browser and never sent to the server.
          Send it to the people you invite.
        </p>
        <label htmlFor="new-link-text">New meeting link</label>
        <div className="row">
          <input id="new-link-text" data-testid="new-link-text" readOnly value={link}
                 onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={link} label="Copy link" className="primary" testid="copy-new-link" />
        </div>
        <div className="row end">
          <button type="button" data-testid="join-new-link"
                  onClick={() => navigate(`/r/${encodeURIComponent(room.name)}`, { created: true })}>
            Join now
          </button>
          <button type="button" onClick={onClose}>Close</button>
        </div>
      </div>
    );
  }

  return (
    <form id="room-settings" className="dialog-body" onSubmit={(e) => {
      e.preventDefault();
      setError('');
      setBusy(true);
      api.updateRoom(room.id, request(choice, room))
        .then((saved) => {
          void qc.invalidateQueries({ queryKey: ['rooms'] });
          if (saved.settings.e2ee && !room.settings.e2ee) {
            // a new key for the joins from now on, kept in this tab too
            const key = newRoomKey();
            givePageKey(saved.name, `#${toFragment(key)}`);
            setLink(meetingLink(location.origin, saved.name, key));
          } else {
            if (!saved.settings.e2ee) forgetKey(sessionStorage, saved.name);
            onClose();
          }
        })
        .catch((x: unknown) => setError(describeError(x)))
        .finally(() => setBusy(false));
    }}>
      <RoomFields value={choice} onChange={setChoice} />
      <section className="notice" aria-live="polite" data-testid="in-progress">
        <h3>For a meeting in progress</h3>
        {notes.map((t) => <p key={t}>{t}</p>)}
      </section>
      <Busy busy={busy} error={error}>
        <button type="submit" className="primary" disabled={busy}>Save</button>
        <button type="button" onClick={onClose}>Cancel</button>
      </Busy>
    </form>
  );
}

export function DeleteRoomDialog({ room, onClose }: {
  room: api.OwnRoom | null; onClose: () => void;
}) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const qc = useQueryClient();
  const close = () => { setError(''); onClose(); };
  return (
    <Dialog open={room !== null} onClose={close} testid="delete-dialog"
            title={room ? `Delete ${room.name}?` : 'Delete'}>
      {room && (
        <div className="dialog-body">
          <p>
            The room and its settings, bans and moderators are deleted, and its name becomes
            free for anyone. {room.activeNow > 0
              ? `The ${people(room.activeNow)} in the meeting now will be disconnected. `
              : ''}
            Links to it stop working. This cannot be undone.
          </p>
          <Busy busy={busy} error={error}>
            <button type="button" className="danger" data-testid="confirm-delete" disabled={busy}
                    onClick={() => {
                      setBusy(true);
                      setError('');
                      api.deleteRoom(room.id)
                        .then(() => {
                          forgetKey(sessionStorage, room.name);
                          void qc.invalidateQueries({ queryKey: ['rooms'] });
                          close();
                        })
                        .catch((x: unknown) => setError(describeError(x)))
                        .finally(() => setBusy(false));
                    }}>
              Delete
            </button>
            <button type="button" data-testid="cancel-delete" onClick={close}>Cancel</button>
          </Busy>
        </div>
      )}
    </Dialog>
  );
}
