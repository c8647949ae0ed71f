// The room key of an E2EE meeting: 32 random bytes made here, in the
// browser, and carried only in the URL fragment (#key=...), which browsers
// never send to a server. Nothing in this file talks to the network.

import { ExternalE2EEKeyProvider, isE2EESupported } from 'livekit-client';

const KEY_BYTES = 32;

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** A fresh room key, as the text that goes after "#key=". */
export function newRoomKey(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

/** The key in a fragment ("#key=..."), or null if there is none or it is bad. */
export function keyFromFragment(fragment: string): Uint8Array | null {
  const m = /^#?key=([^&]*)$/.exec(fragment);
  if (!m) return null;
  const key = unb64url(m[1]);
  return key && key.length === KEY_BYTES ? key : null;
}

export const supported = (): boolean => isE2EESupported();

/**
 * One shared key for the room (HKDF from 32 random bytes: no passphrase
 * stretching needed), with LiveKit's frame encryption worker.
 */
export async function keyProvider(key: Uint8Array): Promise<{
  keyProvider: ExternalE2EEKeyProvider;
  worker: Worker;
}> {
  const provider = new ExternalE2EEKeyProvider();
  await provider.setKey(key.slice().buffer);
  const worker = new Worker(
    new URL('livekit-client/e2ee-worker', import.meta.url),
    { type: 'module' },
  );
  return { keyProvider: provider, worker };
}
