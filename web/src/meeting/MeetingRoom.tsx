// The meeting itself: LiveKit's Room (connected by MeetingPage) in
// LiveKit's React contexts, with the stage (grid or speaker layout), the
// control bar, and side panels for people, chat and sharing the link.

import {
  LayoutContextProvider, RoomAudioRenderer, RoomContext, useConnectionState,
  useLocalParticipant, useParticipants,
} from '@livekit/components-react';
import {
  ConnectionState, DisconnectReason, Participant, RoomEvent, Track,
  type TrackPublication,
} from 'livekit-client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import * as api from '../api';
import { meetingLink } from '../keys';
import {
  SYSTEM_TOPIC, describeSystem, disconnectText, parseSystem, type SystemEvent,
} from '../system';
import type { RoomKey } from '../keys';
import type { Prepared } from './connect';
import { MeetingContext, accessesOf, type Meeting, type NoticeKind } from './context';
import { useDecryptProblems, type DecryptProblem } from './decrypt';
import { useKeyRotation, type Rotation } from './rotate';
import { useChatLog, ChatPanel } from './Chat';
import { Controls, type Panel } from './Controls';
import { LockIcon, UnlockIcon, WarnIcon } from './icons';
import { PeoplePanel } from './People';
import { SharePanel } from './Share';
import { Stage, type Layout } from './Stage';

export interface Choices {
  camera: boolean;
  microphone: boolean;
}

interface Notice { id: number; text: string; kind: NoticeKind }

export function MeetingRoom({ join, prepared, choices, connected, user, created, onEnd, onKey }: {
  join: api.Join;
  prepared: Prepared;
  choices: Choices;
  /** settles once LiveKit is connected (publishing waits for it) */
  connected: Promise<void>;
  user: api.User | null;
  created: boolean;
  onEnd: (why: string | null) => void;
  /** the room key changed (a rotation): what the page joins with next */
  onKey?: (key: RoomKey) => void;
}) {
  const room = prepared.room;
  const e2ee = !!join.settings?.e2ee && !!prepared.key;
  const [notices, setNotices] = useState<Notice[]>([]);
  const [deafened, setDeafened] = useState(false);
  const lastAboutMe = useRef<{ event: SystemEvent; at: number } | null>(null);
  const selfToggle = useRef(0);
  const nextId = useRef(0);

  const notify = useCallback((text: string, kind: NoticeKind = 'info') => {
    const id = ++nextId.current;
    setNotices((n) => [...n.slice(-3), { id, text, kind }]);
    window.setTimeout(() => setNotices((n) => n.filter((x) => x.id !== id)),
                      kind === 'error' ? 15000 : 8000);
  }, []);

  // publish what the person chose on the pre-join screen
  useEffect(() => {
    const lp = room.localParticipant;
    connected.then(async () => {
      if (choices.camera && choices.microphone) await lp.enableCameraAndMicrophone();
      else {
        await Promise.all([choices.camera && lp.setCameraEnabled(true),
                           choices.microphone && lp.setMicrophoneEnabled(true)]);
      }
    })
      .catch((e: Error) => {
        if (room.state === ConnectionState.Connected) {
          notify(`Could not start your camera or microphone: ${e.message}`, 'error');
        }
      });
  }, [room, choices, notify, connected]);

  // leaving the page leaves the meeting
  useEffect(() => () => { void room.disconnect(); }, [room]);

  useEffect(() => {
    // read when needed: the identity is known only once connected
    const me = () => room.localParticipant.identity;
    const nameOf = (id: string) => {
      const p = room.getParticipantByIdentity(id);
      return p ? p.name || p.identity : '';
    };
    const onData = (payload: Uint8Array, p?: Participant, _k?: unknown, topic?: string) => {
      // only the server speaks on "system": never a participant
      if (topic !== SYSTEM_TOPIC || p) return;
      const m = parseSystem(payload);
      if (!m) return;
      if (m.target === me()) lastAboutMe.current = { event: m.event, at: Date.now() };
      if (m.event === 'deafen' && m.target === me()) setDeafened(true);
      if (m.event === 'undeafen' && m.target === me()) setDeafened(false);
      const text = describeSystem(m, me(), nameOf);
      if (text) notify(text, m.target === me() ? 'warn' : 'info');
    };
    const onDisconnected = (reason?: DisconnectReason) => {
      const last = lastAboutMe.current;
      const recent = last && Date.now() - last.at < 10000 ? last.event : undefined;
      onEnd(disconnectText(reason, recent));
    };
    // our own track muted by someone else: the server, for a moderator
    const onMuted = (pub: TrackPublication, p: Participant) => {
      if (!p.isLocal || Date.now() - selfToggle.current < 3000) return;
      if (pub.source === Track.Source.Microphone) notify('A moderator muted your microphone.', 'warn');
      if (pub.source === Track.Source.Camera) notify('A moderator turned your camera off.', 'warn');
      if (pub.source === Track.Source.ScreenShare) notify('A moderator stopped your screen share.', 'warn');
    };
    const onPermissions = () => {
      const perm = room.localParticipant.permissions;
      if (perm && !perm.canPublish) notify('You may no longer send audio or video.', 'warn');
    };
    room.on(RoomEvent.DataReceived, onData)
      .on(RoomEvent.Disconnected, onDisconnected)
      .on(RoomEvent.TrackMuted, onMuted)
      .on(RoomEvent.ParticipantPermissionsChanged, onPermissions);
    return () => {
      room.off(RoomEvent.DataReceived, onData)
        .off(RoomEvent.Disconnected, onDisconnected)
        .off(RoomEvent.TrackMuted, onMuted)
        .off(RoomEvent.ParticipantPermissionsChanged, onPermissions);
    };
  }, [room, notify, onEnd]);

  const ownerId = join.adminId || join.createdBy || '';
  const rotation = useKeyRotation({ room, prepared, roomName: join.name, ownerId, notify, onKey });
  const problems = useDecryptProblems(room, e2ee, rotation.key?.index ?? 0);
  const link = useMemo(() => meetingLink(location.origin, join.name, e2ee ? rotation.key : null),
                       [join.name, e2ee, rotation.key]);

  return (
    <RoomContext.Provider value={room}>
      <LayoutContextProvider>
        <Inner join={join} user={user} e2ee={e2ee} rotation={rotation} link={link}
               ownerId={ownerId} problems={problems} notify={notify}
               notices={notices} created={created} deafened={deafened}
               onSelfToggle={() => { selfToggle.current = Date.now(); }} />
      </LayoutContextProvider>
    </RoomContext.Provider>
  );
}

function Inner(props: {
  join: api.Join; user: api.User | null; e2ee: boolean; rotation: Rotation;
  link: string; ownerId: string; problems: ReadonlyMap<string, DecryptProblem>;
  notify: Meeting['notify']; notices: Notice[]; created: boolean;
  deafened: boolean; onSelfToggle: () => void;
}) {
  const { join, user, e2ee } = props;
  const state = useConnectionState();
  const offline = useOffline();
  const participants = useParticipants();
  const { localParticipant } = useLocalParticipant();
  const [layout, setLayout] = useState<Layout>('grid');
  const [panel, setPanel] = useState<Panel | null>(
    props.created ? 'share' : null);
  const chat = useChatLog(e2ee, join.id);

  // the server decides; the menu offers what it would allow
  const myAccesses = accessesOf(localParticipant.metadata);
  const owner = !!user && (user.id === props.ownerId || api.isSuperadmin(user));
  const moderator = owner || myAccesses.includes('moderator');
  const can = useCallback((a: api.ModAction) =>
    (api.OWNER_LEVEL.includes(a) ? owner : moderator), [owner, moderator]);

  const meeting: Meeting = {
    join, user, e2ee, key: props.rotation.key, link: props.link,
    problems: props.problems, can, ownerId: props.ownerId,
    notify: props.notify, removedByMe: props.rotation.removedByMe,
  };
  const outdated = [...props.problems.values()].includes('outdated');

  const problem = e2ee && (props.problems.size > 0
    || participants.some((p) => p.trackPublications.size > 0 && !p.isEncrypted));
  const roomState = !e2ee ? 'off' : problem ? 'problem' : 'encrypted';

  useEffect(() => { if (panel === 'chat') chat.markRead(); }, [panel, chat]);

  return (
    <MeetingContext.Provider value={meeting}>
      <div className="meeting" data-lk-theme="default" data-testid="meeting" data-connection={state}
           data-layout={layout} data-e2ee={roomState}
           data-key-index={e2ee ? props.rotation.key?.index : undefined}
           data-sending={e2ee ? props.rotation.sending : undefined}>
        <header className="meeting-top">
          <h1 className="room-name">{join.name}</h1>
          <span className="e2ee-room" data-testid="e2ee-status" data-state={roomState}
                role="status">
            {roomState === 'encrypted' && <><LockIcon /> End-to-end encrypted</>}
            {roomState === 'off' && <><UnlockIcon /> Not end-to-end encrypted</>}
            {roomState === 'problem' && (outdated
              ? <><WarnIcon /> Link out of date: cannot decrypt</>
              : <><WarnIcon /> Encryption problem: see the people list</>)}
          </span>
          <span className="count" data-testid="participant-count">
            {participants.length} {participants.length === 1 ? 'person' : 'people'}
          </span>
        </header>

        {(offline || state === ConnectionState.Reconnecting
          || state === ConnectionState.SignalReconnecting) && (
          <div className="banner" role="alert" data-testid="reconnecting"
               data-cause={offline ? 'offline' : 'server'}>
            {offline
              ? 'This device is offline: the meeting resumes when the network is back…'
              : 'Connection lost, reconnecting…'}
          </div>
        )}

        {outdated && (
          <div className="banner" role="alert" data-testid="key-outdated">
            This link is out of date: the room key was changed after someone was removed,
            so this page cannot decrypt the meeting any more. Ask someone in the meeting
            for the new link.
          </div>
        )}

        <ol className="notices" aria-live="polite" data-testid="notices">
          {props.notices.map((n) => (
            <li key={n.id} className={`notice ${n.kind}`} data-testid="notice"
                data-kind={n.kind}>{n.text}</li>
          ))}
        </ol>

        <div className="meeting-body">
          <Stage layout={layout} />
          {panel && (
            <aside className="side-panel" data-testid={`panel-${panel}`}>
              <button type="button" className="close" aria-label="Close panel"
                      onClick={() => setPanel(null)}>×</button>
              {panel === 'people' && <PeoplePanel />}
              {panel === 'share' && <SharePanel />}
              {panel === 'chat' && <ChatPanel chat={chat} />}
            </aside>
          )}
        </div>

        <Controls layout={layout} setLayout={setLayout} panel={panel}
                  setPanel={setPanel} people={participants.length}
                  unread={chat.unread} allowChat={join.settings?.allowChat !== false}
                  onSelfToggle={props.onSelfToggle} />
        <RoomAudioRenderer muted={props.deafened} />
      </div>
    </MeetingContext.Provider>
  );
}

/**
 * The browser says the device has no network: shown at once, where
 * LiveKit notices only when its connection times out or the network
 * comes back (then it reconnects, and says so).
 */
function useOffline(): boolean {
  const [offline, setOffline] = useState(() => !navigator.onLine);
  useEffect(() => {
    const on = () => setOffline(!navigator.onLine);
    window.addEventListener('online', on);
    window.addEventListener('offline', on);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', on);
    };
  }, []);
  return offline;
}
