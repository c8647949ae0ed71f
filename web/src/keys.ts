// The room key of an E2EE meeting, and where it lives: 32 random bytes
// made in the browser, carried only in the link's fragment
// ("/r/<room>#key=<base64url, no padding>"), which browsers never send to a
// server. Pure: no DOM, no network, no LiveKit; unit-tested with fixed
// vectors (test/keys.test.ts). The bot and native clients read exactly
// this format, and give the 32 raw bytes to LiveKit's key provider (HKDF,
// default options).
//
// A key has an index, LiveKit's key index: 0 for the key of a new room.
// Key rotation (a new key at the next index, the previous one kept for a
// grace period) carries the index in the fragment as "&ki=<n>" when it is
// not 0, so that links made before any rotation stay exactly "#key=...".

export const KEY_BYTES = 32;
/** LiveKit's default keyring holds 16 indexes (0..15), reused in turn. */
export const KEYRING_SIZE = 16;

export interface RoomKey {
  /** the 32 raw bytes */
  bytes: Uint8Array;
  /** LiveKit key index, 0..KEYRING_SIZE-1 */
  index: number;
}

export function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url without padding, strictly: null for anything else. */
export function unb64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  try {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
    // non-canonical trailing bits would give two texts for one key
    return b64url(bytes) === text ? bytes : null;
  } catch {
    return null;
  }
}

/** A fresh key at index 0 (crypto.getRandomValues). */
export function newRoomKey(random: (a: Uint8Array) => Uint8Array =
  (a) => crypto.getRandomValues(a)): RoomKey {
  return { bytes: random(new Uint8Array(KEY_BYTES)), index: 0 };
}

/** The text after "#": "key=<b64url>", plus "&ki=<n>" for a rotated key. */
export function toFragment(key: RoomKey): string {
  const k = `key=${b64url(key.bytes)}`;
  return key.index ? `${k}&ki=${key.index}` : k;
}

export type FragmentResult =
  | { kind: 'none' }                   // no key in the fragment
  | { kind: 'bad'; reason: string }    // a key that cannot be right
  | { kind: 'key'; key: RoomKey };

/**
 * Reads a fragment ("#key=...", with or without "#"). Unknown parameters
 * are ignored (a later version may add some); a key of the wrong length or
 * encoding is "bad", never silently used.
 */
export function parseFragment(fragment: string): FragmentResult {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (!text) return { kind: 'none' };
  let keyText: string | null = null;
  let indexText: string | null = null;
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (name === 'key') {
      if (keyText !== null) return { kind: 'bad', reason: 'two keys in the link' };
      keyText = value;
    } else if (name === 'ki') {
      indexText = value;
    }
  }
  if (keyText === null) return { kind: 'none' };
  const bytes = unb64url(keyText);
  if (!bytes || bytes.length !== KEY_BYTES) {
    return { kind: 'bad', reason: 'the key in the link is damaged (incomplete copy?)' };
  }
  let index = 0;
  if (indexText !== null) {
    if (!/^(0|[1-9][0-9]?)$/.test(indexText) || Number(indexText) >= KEYRING_SIZE) {
      return { kind: 'bad', reason: 'the key index in the link is not valid' };
    }
    index = Number(indexText);
  }
  return { kind: 'key', key: { bytes, index } };
}

/** The meeting link: origin + "/r/<room>" + "#<fragment>" for E2EE rooms. */
export function meetingLink(origin: string, room: string,
                            key: RoomKey | null): string {
  const path = `${origin}/r/${encodeURIComponent(room)}`;
  return key ? `${path}#${toFragment(key)}` : path;
}

/** The room of a meeting link or path ("/r/<room>"), or null. */
export function roomOfPath(path: string): string | null {
  const m = /^\/r\/([^/?#]+)\/?$/.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/** What a person pasted ("https://host/r/x#key=..", "/r/x", "x"): path + hash. */
export function parsePasted(text: string): { room: string; hash: string } | null {
  const s = text.trim();
  if (!s) return null;
  const m = /(?:^|\/)r\/([^/?#\s]+)\/?(?:\?[^#\s]*)?(#\S*)?$/.exec(s);
  if (m) {
    const room = roomOfPath(`/r/${m[1]}`);
    return room ? { room, hash: m[2] ?? '' } : null;
  }
  return /^[^\s/#?]+$/.test(s) ? { room: s.toLowerCase(), hash: '' } : null;
}

/**
 * Where a tab keeps the key of a room after it took it out of the address
 * bar: sessionStorage, per tab, gone when the tab closes. Storage is given
 * so that tests can pass a Map-like object.
 */
export interface KeyStore {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
}

const storeKey = (room: string): string => `bedrud.key.${room}`;

export function saveKey(store: KeyStore, room: string, key: RoomKey): void {
  store.setItem(storeKey(room), toFragment(key));
}

export function loadKey(store: KeyStore, room: string): RoomKey | null {
  const text = store.getItem(storeKey(room));
  if (text === null) return null;
  const r = parseFragment(text);
  return r.kind === 'key' ? r.key : null;
}

export function forgetKey(store: KeyStore, room: string): void {
  store.removeItem(storeKey(room));
}

/**
 * Takes the key of the page's room: from the fragment if there is one
 * (then saved for reloads of this tab), else from what this tab saved.
 * The caller removes the fragment from the address bar.
 */
export function takeKey(store: KeyStore, room: string,
                        fragment: string): FragmentResult {
  const r = parseFragment(fragment);
  if (r.kind === 'key') {
    saveKey(store, room, r.key);
    return r;
  }
  if (r.kind === 'bad') return r;
  const saved = loadKey(store, room);
  return saved ? { kind: 'key', key: saved } : { kind: 'none' };
}
