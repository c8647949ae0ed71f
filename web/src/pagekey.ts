// The key leaves the address bar as soon as the page has it: this runs in
// the main chunk, at load and on every navigation, before the meeting
// code is even fetched. It is kept in sessionStorage (this tab only) so a
// reload of the tab still has it; what the fragment said is remembered
// for the meeting page (a damaged key is reported, not ignored).

import { roomOfPath, saveKey, takeKey, type FragmentResult, type RoomKey } from './keys';

const taken = new Map<string, FragmentResult>();

/**
 * A window event (detail: the room's name) when a link's fragment was
 * taken after the page loaded: a link opened in a tab already on that
 * room's page changes only the fragment, so the page does not load again.
 */
export const KEY_EVENT = 'bedrud:key';

export function captureKey(): void {
  const room = roomOfPath(location.pathname);
  if (!room) return;
  const r = takeKey(sessionStorage, room, location.hash);
  taken.set(room, r);
  if (location.hash) {
    history.replaceState(history.state, '', location.pathname + location.search);
    window.dispatchEvent(new CustomEvent(KEY_EVENT, { detail: room }));
  }
}

/** The key for the room's page: from its link, or what this tab kept. */
export function pageKey(room: string): FragmentResult {
  return taken.get(room) ?? takeKey(sessionStorage, room, '');
}

/** A key given later (a pasted link): remembered as if it came in the link. */
export function givePageKey(room: string, fragment: string): FragmentResult {
  const r = takeKey(sessionStorage, room, fragment);
  taken.set(room, r);
  return r;
}

/**
 * The room key changed during the meeting (a rotation): this tab keeps
 * the new one, so a reload or "Join again" uses it, and the old one is gone.
 */
export function keepPageKey(room: string, key: RoomKey): void {
  saveKey(sessionStorage, room, key);
  taken.set(room, { kind: 'key', key });
}
