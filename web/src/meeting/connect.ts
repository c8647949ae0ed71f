// LiveKit's Room for a meeting, with frame encryption when the room is
// E2EE. What can be made before Join is pressed is made then (the key
// derived, the encryption worker started), so that the press costs only
// the API call and the connection.

import {
  ExternalE2EEKeyProvider, KeyProviderEvent, Room, VideoPresets, createKeyMaterialFromBuffer,
  isE2EESupported, type KeyInfo,
} from 'livekit-client';
import { KEY_BYTES, type RoomKey } from '../keys';

/**
 * The shared room key in LiveKit's key provider, by key index. A key at
 * index 0 is exactly ExternalE2EEKeyProvider.setKey(32 raw bytes) with
 * default options (HKDF), which the bot and native clients do too. Key
 * rotation (src/rotation.ts) holds a new key at the next index without
 * sending with it, switches later, and forgets the old one by overwriting
 * it: the SDK's key ring has no removal. What this provider holds is also
 * what the SDK's E2EE manager posts again to its worker on a reconnect
 * (getKeys, getLatestManuallySetKeyIndex).
 */
export class RoomKeyProvider extends ExternalE2EEKeyProvider {
  private ring = new Map<number, KeyInfo>();
  private sendIndex = 0;

  override getKeys(): KeyInfo[] {
    return [...this.ring.values()];
  }

  override getLatestManuallySetKeyIndex(): number {
    return this.sendIndex;
  }

  /** Decrypts with `key` at its index; sends with it too if `send`. */
  async hold(key: RoomKey, send = false): Promise<void> {
    const material = await createKeyMaterialFromBuffer(key.bytes.slice().buffer);
    const info: KeyInfo = { key: material, participantIdentity: undefined, keyIndex: key.index };
    this.ring.set(key.index, info);
    if (send) this.sendIndex = key.index;
    this.emit(KeyProviderEvent.SetKey, info, send);
  }

  /** Sends with the key held at `index`. */
  sendWith(index: number): void {
    const info = this.ring.get(index);
    if (!info) throw new Error(`no key held at index ${index}`);
    this.sendIndex = index;
    this.emit(KeyProviderEvent.SetKey, info, true);
  }

  /** Forgets the key at `index` (random bytes nobody has take its place). */
  async drop(index: number): Promise<void> {
    await this.hold({ bytes: crypto.getRandomValues(new Uint8Array(KEY_BYTES)), index });
  }

  /** The link's key: held and sent with. */
  setRoomKey(key: RoomKey): Promise<void> {
    return this.hold(key, true);
  }
}

export const e2eeSupported = (): boolean => isE2EESupported();

export interface Prepared {
  room: Room;
  keys: RoomKeyProvider | null;
  /** the key this Room encrypts with, if any */
  key: RoomKey | null;
}

function makeRoom(e2ee: { keyProvider: RoomKeyProvider; worker: Worker } | null): Room {
  return new Room({
    adaptiveStream: true,
    dynacast: true,
    videoCaptureDefaults: { resolution: VideoPresets.h720.resolution },
    publishDefaults: { simulcast: true },
    ...(e2ee ? { encryption: e2ee } : {}),
  });
}

/**
 * What an E2EE Room needs, made before Join is pressed: the key derived
 * and the encryption worker started (its module fetched and compiled).
 * The Room itself is made at Join (`room()`): a Room made early and left
 * idle showed its first remote picture later (measured, bench/README.md).
 */
export interface Encryption {
  key: RoomKey;
  keys: RoomKeyProvider;
  worker: Worker;
}

export async function prepareKey(key: RoomKey): Promise<Encryption> {
  const keys = new RoomKeyProvider();
  await keys.setRoomKey(key);
  const worker = new Worker(new URL('livekit-client/e2ee-worker', import.meta.url),
                            { type: 'module' });
  return { key, keys, worker };
}

/** A Room, encrypting with `enc` when there is one. */
export function prepare(enc: Encryption | null): Prepared {
  if (!enc) return { room: makeRoom(null), keys: null, key: null };
  return { room: makeRoom({ keyProvider: enc.keys, worker: enc.worker }),
           keys: enc.keys, key: enc.key };
}

/** A Room without encryption (the room turned out not to be E2EE). */
export const plainRoom = (): Prepared => prepare(null);
