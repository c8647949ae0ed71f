// What every part of the meeting needs: the join answer, who we are and
// may do, the E2EE state and a way to tell the person something.

import { createContext, useContext } from 'react';
import type { Join, ModAction, User } from '../api';
import type { RoomKey } from '../keys';
import type { DecryptProblem } from './decrypt';

export type NoticeKind = 'info' | 'ok' | 'warn' | 'error';

export interface Meeting {
  join: Join;
  user: User | null;
  /** the room is end-to-end encrypted (and this Room encrypts) */
  e2ee: boolean;
  /** the newest room key (it changes when someone is removed) */
  key: RoomKey | null;
  /** the link to share (with the key in its fragment for an E2EE room) */
  link: string;
  /** identities whose media this page cannot decrypt, and why */
  problems: ReadonlyMap<string, DecryptProblem>;
  /** what the local person may ask the server to do to others */
  can: (action: ModAction) => boolean;
  /** the room's owner, from the join answer */
  ownerId: string;
  notify: (text: string, kind?: NoticeKind) => void;
  /** our moderation removed someone: the room key must change */
  removedByMe: (identity: string) => void;
}

export const MeetingContext = createContext<Meeting | null>(null);

export function useMeeting(): Meeting {
  const m = useContext(MeetingContext);
  if (!m) throw new Error('useMeeting outside a meeting');
  return m;
}

/** The roles in a participant's LiveKit metadata ({"accesses":[...]}). */
export function accessesOf(metadata: string | undefined): string[] {
  if (!metadata) return [];
  try {
    const a = (JSON.parse(metadata) as { accesses?: unknown }).accesses;
    return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
