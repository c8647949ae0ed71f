// The server's system messages (bedrud-api.md §6): LiveKit SendData,
// reliable, topic "system", JSON {"type":"system","event":..,"actor":..,
// "target":..}. They come from the server itself (no sending participant),
// so they are never end-to-end encrypted, and carry no secret: the client
// accepts them only when no participant sent them, and only these events.
// Pure: parsing and wording, unit-tested (test/unit/system.test.ts).

import { jsonObject } from './datajson';

export const SYSTEM_TOPIC = 'system';

export const SYSTEM_EVENTS = ['kick', 'ban', 'mute', 'video_off',
  'screenshare_stop', 'deafen', 'undeafen', 'ask_unmute', 'ask_camera',
  'spotlight', 'promote', 'demote', 'rekey'] as const;
export type SystemEvent = typeof SYSTEM_EVENTS[number];

export interface SystemMessage {
  event: SystemEvent;
  actor: string;
  target: string;
}

const MAX = 4096;

/** The message, or null for anything that is not a well-formed one. */
export function parseSystem(payload: Uint8Array): SystemMessage | null {
  const o = jsonObject(payload, MAX);
  if (!o) return null;
  if (o.type !== 'system' || typeof o.event !== 'string') return null;
  if (!(SYSTEM_EVENTS as readonly string[]).includes(o.event)) return null;
  const str = (x: unknown) => (typeof x === 'string' ? x.slice(0, 256) : '');
  return { event: o.event as SystemEvent, actor: str(o.actor), target: str(o.target) };
}

/**
 * What to tell the person, in words. `me` is the local identity; `name`
 * turns an identity into a display name. null: nothing to say.
 */
export function describeSystem(m: SystemMessage, me: string,
                               name: (identity: string) => string): string | null {
  const mine = m.target === me;
  const who = mine ? 'You' : name(m.target) || 'Someone';
  switch (m.event) {
  case 'kick': return `${who} ${mine ? 'were' : 'was'} removed from the meeting by a moderator.`;
  case 'ban': return `${who} ${mine ? 'were' : 'was'} banned from this room by a moderator.`;
  case 'mute': return mine ? 'A moderator muted your microphone.' : null;
  case 'video_off': return mine ? 'A moderator turned your camera off.' : null;
  case 'screenshare_stop': return mine ? 'A moderator stopped your screen share.' : null;
  case 'deafen': return mine ? 'A moderator turned off the meeting sound for you.' : null;
  case 'undeafen': return mine ? 'A moderator turned the meeting sound back on for you.' : null;
  case 'ask_unmute': return mine ? 'A moderator asks you to unmute your microphone.' : null;
  case 'ask_camera': return mine ? 'A moderator asks you to turn your camera on.' : null;
  case 'spotlight': return `${mine ? 'You are' : `${who} is`} in the spotlight.`;
  case 'promote': return `${who} ${mine ? 'are' : 'is'} now a moderator.`;
  case 'demote': return `${who} ${mine ? 'are' : 'is'} no longer a moderator.`;
  case 'rekey': return 'Someone was removed: the room key is being changed.';
  }
}

/**
 * Why LiveKit disconnected us, in words (LiveKit's DisconnectReason, by
 * number, so that this module needs no SDK). `lastEvent` is a system
 * message about us that came just before (a ban says more than a removal).
 * null: we left ourselves, nothing to explain.
 */
export function disconnectText(reason: number | undefined,
                               lastEvent?: SystemEvent): string | null {
  switch (reason) {
  case 1: return null;                                   // CLIENT_INITIATED
  case 2: return 'You joined this meeting from another tab or device, so this one was disconnected.';
  case 3: return 'The media server shut down. Try to join again in a moment.';
  case 4:                                                // PARTICIPANT_REMOVED
    return lastEvent === 'ban'
      ? 'A moderator banned you from this meeting.'
      : 'A moderator removed you from this meeting.';
  case 5:                                                // ROOM_DELETED
  case 10: return 'The meeting was closed.';             // ROOM_CLOSED
  case 7: return 'Joining failed: the media server did not accept the connection.';
  case 14: return 'The connection to the media server timed out.';
  case 15: return 'Your media could not be sent or received (network or device failure).';
  default: return 'The connection to the meeting was lost.';
  }
}
