// LiveKit's Room for a meeting, with frame encryption when the room is
// E2EE. What can be made before Join is pressed is made then (the key
// derived, the encryption worker started), so that the press costs only
// the API call and the connection.

import {
  ExternalE2EEKeyProvider, Room, VideoPresets, createKeyMaterialFromBuffer,
  isE2EESupported,
} from 'livekit-client';
import type { RoomKey } from '../keys';

/**
 * The shared room key in LiveKit's key provider. Index 0 is exactly
 * ExternalE2EEKeyProvider.setKey(32 raw bytes) with default options (HKDF),
 * which the bot and native clients do too. A rotated key (issue 9) goes
 * to its own index, so that the previous one still decrypts meanwhile.
 */
export class RoomKeyProvider extends ExternalE2EEKeyProvider {
  async setRoomKey(key: RoomKey): Promise<void> {
    const raw = key.bytes.slice().buffer;
    if (key.index === 0) {
      await this.setKey(raw);
      return;
    }
    this.onSetEncryptionKey(await createKeyMaterialFromBuffer(raw), undefined,
                            key.index);
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
