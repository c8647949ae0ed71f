// A meeting page, "/r/<room>": the key (taken from the link by the main
// chunk), the pre-join screen, the join, the meeting, and what the person
// is told when it ends. An E2EE room is never joined without encryption:
// no key, a damaged key or a browser that cannot encrypt stop here.

import '@livekit/components-styles';
import './meeting.css';
import { RoomEvent } from 'livekit-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import * as api from '../api';
import { AuthForms } from '../Home';
import { Header } from '../Header';
import { parsePasted, type FragmentResult } from '../keys';
import { navigate } from '../nav';
import { KEY_EVENT, givePageKey, pageKey } from '../pagekey';
import { useSession } from '../session';
import {
  e2eeSupported, plainRoom, prepare, prepareKey, type Encryption, type Prepared,
} from './connect';
import { MeetingRoom, type Choices } from './MeetingRoom';

type Phase =
  | { kind: 'prejoin' }
  | { kind: 'joining' }
  | { kind: 'needkey'; why: string }
  | { kind: 'refused'; why: string; retry: boolean }
  | { kind: 'in'; join: api.Join; prepared: Prepared; choices: Choices;
      connected: Promise<void> }
  | { kind: 'ended'; why: string | null };

const NO_E2EE = 'This browser cannot encrypt media end to end (it lacks '
  + 'encoded transforms), so it cannot join an end-to-end encrypted meeting. '
  + 'Use a current Chrome, Edge, Firefox or Safari.';

export default function MeetingPage({ room }: { room: string }) {
  const { user, loading } = useSession();
  const [key, setKey] = useState<FragmentResult>(() => pageKey(room));
  const [phase, setPhase] = useState<Phase>({ kind: 'prejoin' });
  const [choices, setChoices] = useState<Choices>({ camera: true, microphone: true });
  const created = useRef(history.state?.created === true);
  const prepared = useRef<Promise<Encryption> | null>(null);

  // the key derived and the encryption worker started before Join (not
  // during the meeting, when a rotation changes the key)
  const inMeeting = phase.kind === 'in';
  useEffect(() => {
    if (!inMeeting && key.kind === 'key' && e2eeSupported() && !prepared.current) {
      prepared.current = prepareKey(key.key);
    }
  }, [key, inMeeting]);

  // a link opened in this tab while it shows this room's page (only the
  // fragment changed: a new link after a key rotation): its key replaces
  // ours before the next Join; a meeting under way keeps its own
  const busy = useRef(false);
  busy.current = phase.kind === 'in' || phase.kind === 'joining';
  useEffect(() => {
    const on = (e: Event) => {
      if ((e as CustomEvent<string>).detail !== room || busy.current) return;
      const old = prepared.current;
      prepared.current = null;
      void old?.then((x) => x.worker.terminate(), () => {});
      setKey(pageKey(room));
    };
    window.addEventListener(KEY_EVENT, on);
    return () => window.removeEventListener(KEY_EVENT, on);
  }, [room]);

  const join = useCallback(async (guestName?: string) => {
    setPhase({ kind: 'joining' });
    // performance marks: where the time to the first frame goes (bench/)
    performance.mark('bedrud:join');
    try {
      const j = guestName !== undefined
        ? await api.guestJoin(room, guestName) : await api.joinRoom(room);
      performance.mark('bedrud:api');
      let p: Prepared;
      if (j.settings?.e2ee) {
        if (key.kind === 'bad') return setPhase({ kind: 'needkey', why: key.reason });
        if (key.kind === 'none') {
          return setPhase({ kind: 'needkey', why:
            'This meeting is end-to-end encrypted and this link has no key.' });
        }
        if (!e2eeSupported()) return setPhase({ kind: 'refused', why: NO_E2EE, retry: false });
        const ready = prepared.current;
        prepared.current = null;            // a worker serves one Room
        p = prepare(ready ? await ready : await prepareKey(key.key));
        await p.room.setE2EEEnabled(true);
      } else {
        p = plainRoom();
      }
      p.room.once(RoomEvent.TrackSubscribed, () => performance.mark('bedrud:subscribed'));
      // connected first, then the meeting is drawn: drawn during the
      // connection, its React work slowed the connection down more than it
      // saved (bench/README.md)
      await p.room.connect(j.livekitHost, j.token);
      performance.mark('bedrud:connected');
      setPhase({ kind: 'in', join: j, prepared: p, choices, connected: Promise.resolve() });
    } catch (e) {
      setPhase({ kind: 'refused', why: explain(e as Error), retry: true });
    }
  }, [room, key, choices]);

  const ended = useCallback((why: string | null) => {
    setPhase({ kind: 'ended', why });
    if (key.kind === 'key' && e2eeSupported()) prepared.current = prepareKey(key.key);
  }, [key]);

  if (phase.kind === 'in') {
    return <MeetingRoom join={phase.join} prepared={phase.prepared} choices={phase.choices}
                        connected={phase.connected} user={user} created={created.current}
                        onEnd={ended}
                        onKey={(k) => setKey({ kind: 'key', key: k })} />;
  }

  const isE2EELink = key.kind === 'key';
  return (
    <>
      <Header />
      <main className="page prejoin" data-testid="prejoin" data-phase={phase.kind}>
        <h1>{room}</h1>
        <p className="keynote" data-testid="link-key" data-state={key.kind}>
          {key.kind === 'key' && (e2eeSupported()
            ? 'This link carries the room key: media and chat will be encrypted in your browser.'
            : NO_E2EE)}
          {key.kind === 'none' && 'This link has no room key. If the meeting is end-to-end encrypted, you will need the full link.'}
          {key.kind === 'bad' && `The room key in this link cannot be used: ${key.reason}.`}
        </p>

        {phase.kind === 'joining' && <p role="status" className="status">Joining…</p>}

        {(phase.kind === 'needkey' || key.kind === 'bad') && (
          <NeedKey room={room} why={phase.kind === 'needkey' ? phase.why : ''}
                   onKey={(k) => { setKey(k); setPhase({ kind: 'prejoin' }); }} />
        )}

        {phase.kind === 'refused' && (
          <div className="notice error" role="alert" data-testid="refused">
            <p>{phase.why}</p>
            {phase.retry && <button type="button" onClick={() => setPhase({ kind: 'prejoin' })}>Back</button>}
          </div>
        )}

        {phase.kind === 'ended' && (
          <div className="notice" role="alert" data-testid="ended">
            <p>{phase.why ?? 'You left the meeting.'}</p>
            <div className="row">
              <button type="button" className="primary" onClick={() => setPhase({ kind: 'prejoin' })}>
                Join again
              </button>
              <button type="button" onClick={() => navigate('/')}>Home</button>
            </div>
          </div>
        )}

        {(phase.kind === 'prejoin') && !loading && (
          isE2EELink && !e2eeSupported() ? null : (
            <>
              <fieldset className="card choices">
                <legend>Join with</legend>
                <label className="check">
                  <input type="checkbox" name="camera" checked={choices.camera}
                         onChange={(e) => setChoices({ ...choices, camera: e.target.checked })} />
                  <span>Camera on</span>
                </label>
                <label className="check">
                  <input type="checkbox" name="microphone" checked={choices.microphone}
                         onChange={(e) => setChoices({ ...choices, microphone: e.target.checked })} />
                  <span>Microphone on</span>
                </label>
              </fieldset>
              {user
                ? (
                  <div className="card" id="join">
                    <p>Joining as <b>{user.name}</b>.</p>
                    <button type="button" className="primary" data-testid="join"
                            onClick={() => { void join(); }}>Join</button>
                  </div>
                )
                : (
                  <>
                    <GuestForm onJoin={(name) => join(name)} />
                    <details className="card">
                      <summary>Or sign in</summary>
                      <AuthForms />
                    </details>
                  </>
                )}
            </>
          )
        )}
      </main>
    </>
  );
}

// a guest's way in: a display name, no account
function GuestForm({ onJoin }: { onJoin: (name: string) => Promise<void> }) {
  return (
    <form id="guest" className="card" onSubmit={(e) => {
      e.preventDefault();
      const name = new FormData(e.currentTarget).get('guestName');
      void onJoin(String(name ?? '').trim());
    }}>
      <h2>Join as a guest</h2>
      <label><span>Your name</span>
        <input name="guestName" required maxLength={100} autoComplete="nickname" />
      </label>
      <button type="submit" className="primary">Join</button>
    </form>
  );
}

// the link is needed: paste it here (its key never leaves this tab)
function NeedKey({ room, why, onKey }: {
  room: string; why: string; onKey: (k: FragmentResult) => void;
}) {
  const [error, setError] = useState('');
  return (
    <form id="needkey" className="card" data-testid="needkey" onSubmit={(e) => {
      e.preventDefault();
      const text = String(new FormData(e.currentTarget).get('link') ?? '');
      const p = parsePasted(text);
      if (!p || p.room !== room) return setError('That is not a link to this meeting.');
      const r = givePageKey(room, p.hash);
      if (r.kind !== 'key') {
        return setError(r.kind === 'bad' ? `The key in that link cannot be used: ${r.reason}.`
                                         : 'That link has no key either (it should end in #key=…).');
      }
      onKey(r);
    }}>
      <h2>This meeting needs its key</h2>
      {why && <p role="alert">{why} It will not be joined without encryption.</p>}
      <label><span>Paste the full meeting link (ending in #key=…)</span>
        <input name="link" required autoComplete="off" />
      </label>
      <button type="submit" className="primary">Use this link</button>
      <p className="error" role="alert">{error}</p>
    </form>
  );
}

function explain(e: Error): string {
  if (e instanceof api.ApiError) {
    if (e.status === 404) return 'There is no meeting of this name.';
    if (e.status === 401) return 'Your session has ended: sign in again.';
    return e.message.charAt(0).toUpperCase() + e.message.slice(1)
      + (/[.!?]$/.test(e.message) ? '' : '.');
  }
  return `Could not connect to the meeting: ${e.message}`;
}
