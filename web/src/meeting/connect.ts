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

/** A Room, encrypting with `key` when there is one. */
export async function prepare(key: RoomKey | null): Promise<Prepared> {
  if (!key || !e2eeSupported()) return { room: makeRoom(null), keys: null, key: null };
  const keys = new RoomKeyProvider();
  await keys.setRoomKey(key);
  const worker = new Worker(new URL('livekit-client/e2ee-worker', import.meta.url),
                            { type: 'module' });
  return { room: makeRoom({ keyProvider: keys, worker }), keys, key };
}

/** A Room without encryption (the room turned out not to be E2EE). */
export const plainRoom = (): Prepared => ({ room: makeRoom(null), keys: null, key: null });
