// The meeting's side of key rotation (src/rotation.ts holds the rules):
// LiveKit's Room and key provider as the rotation's host, the server's
// "rekey" and the participants' key messages fed to it, and the new key
// kept for the link, the invite panel and reloads of this tab.

import { useCallback, useEffect, useRef, useState } from 'react';
import {
  type Participant, type RemoteParticipant, type Room, RoomEvent,
} from 'livekit-client';
import type { RoomKey } from '../keys';
import { keepPageKey } from '../pagekey';
import { KEY_TOPIC, KeyRotation, type Peer } from '../rotation';
import { SYSTEM_TOPIC, parseSystem } from '../system';
import type { Prepared } from './connect';
import { accessesOf } from './context';

export interface Rotation {
  /** the newest room key (the link's) */
  key: RoomKey | null;
  /** the key index this client sends with */
  sending: number;
  /** our own moderation removed `target` (the server's "rekey" may not come) */
  removedByMe(target: string): void;
}

/** 0 the room's owner, 1 a moderator or superadmin, 2 anyone else */
export const rankOf = (p: Participant, ownerId: string): number => {
  if (p.identity === ownerId) return 0;
  const a = accessesOf(p.metadata);
  return a.includes('moderator') || a.includes('superadmin') ? 1 : 2;
};

export function useKeyRotation({ room, prepared, roomName, ownerId, notify, onKey }: {
  room: Room;
  prepared: Prepared;
  roomName: string;
  ownerId: string;
  notify: (text: string, kind?: 'info' | 'ok' | 'warn' | 'error') => void;
  onKey?: (key: RoomKey) => void;
}): Rotation {
  const [key, setKey] = useState<RoomKey | null>(prepared.key);
  const [sending, setSending] = useState(prepared.key?.index ?? 0);
  const rotation = useRef<KeyRotation | null>(null);
  const latest = useRef({ notify, onKey });
  latest.current = { notify, onKey };

  useEffect(() => {
    const keys = prepared.keys;
    if (!keys || !prepared.key) return undefined;
    // when each participant session was first seen; those already here
    // when we connected count as before anything we are told
    const since = new Map<string, number>();
    const peer = (p: RemoteParticipant): Peer => ({
      identity: p.identity, since: since.get(p.sid) ?? 0, rank: rankOf(p, ownerId),
    });
    const r = new KeyRotation({
      now: () => Date.now(),
      later: (fn, ms) => { const t = window.setTimeout(fn, ms); return () => window.clearTimeout(t); },
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
      me: () => room.localParticipant.identity,
      myRank: () => rankOf(room.localParticipant, ownerId),
      peers: () => [...room.remoteParticipants.values()].map(peer),
      // performance marks: when each key step happened (the tests' clock)
      hold: async (k) => { await keys.hold(k); performance.mark(`bedrud:key-hold-${k.index}`); },
      sendWith: async (i) => {
        keys.sendWith(i);
        setSending(i);
        performance.mark(`bedrud:key-send-${i}`);
      },
      drop: async (i) => { await keys.drop(i); performance.mark(`bedrud:key-drop-${i}`); },
      publish: (payload, to) => room.localParticipant.publishData(new Uint8Array(payload),
        { reliable: true, topic: KEY_TOPIC, destinationIdentities: to }),
      changed: (k, by) => {
        setKey(k);
        keepPageKey(roomName, k);
        latest.current.onKey?.(k);
        latest.current.notify(by === 'me'
          ? 'You changed the room key: old links no longer work. Invite others with the new link.'
          : 'The room key was changed after someone was removed: old links no longer work.', 'info');
      },
    }, roomName, prepared.key);
    rotation.current = r;

    const onConnected = (p: RemoteParticipant) => { since.set(p.sid, Date.now()); };
    const onData = (payload: Uint8Array, p?: RemoteParticipant, _k?: unknown, topic?: string) => {
      if (topic === KEY_TOPIC && p) {
        void r.received(peer(p), payload);
      } else if (topic === SYSTEM_TOPIC && !p) {
        // the server's: a kick or a ban in an E2EE room is followed by "rekey"
        const m = parseSystem(payload);
        if (m?.event === 'rekey' && m.target) void r.removed(m.actor, m.target);
      }
    };
    room.on(RoomEvent.ParticipantConnected, onConnected).on(RoomEvent.DataReceived, onData);
    return () => {
      room.off(RoomEvent.ParticipantConnected, onConnected).off(RoomEvent.DataReceived, onData);
      r.stop();
      rotation.current = null;
    };
  }, [room, prepared, roomName, ownerId]);

  const removedByMe = useCallback((target: string) => {
    void rotation.current?.removed(room.localParticipant.identity, target);
  }, [room]);

  return { key, sending, removedByMe };
}
