// Whose media this page cannot decrypt, and why. livekit-client reports
// frames it could not decrypt (RoomEvent.EncryptionError, a few a minute
// per track at most) but never that they decrypt again, so a participant
// named here is looked at every few seconds and cleared once its media
// decodes again (a key that changed under it, a tie between two new keys).
//
//   'key'      InvalidKey, or a key index we do not hold that is behind
//              ours: another key than this link's (or an old one)
//   'outdated' a key index AHEAD of ours that we do not hold: the room key
//              was rotated and this link's key is out of date

import { type Participant, type Room, RoomEvent, Track } from 'livekit-client';
import { useEffect, useRef, useState } from 'react';
import { ahead } from '../rotation';

export type DecryptProblem = 'key' | 'outdated';

const LOOK_EVERY_MS = 2000;
// decoded again: this much more in one look (not a stray placeholder frame)
const VIDEO_FRAMES = 10;
const AUDIO_SAMPLES = 24000;

/**
 * What an EncryptionError says: the worker's errors reach the page as
 * plain Errors, "MissingKey: missing key at index 3 for participant x"
 * (the reason only in the text); the main thread's carry `reason`.
 */
export function classify(err: Error, index: number): DecryptProblem | null {
  const byText = /^(InvalidKey|MissingKey|InternalError)\b/.exec(err.message)?.[1];
  const reason = (err as { reason?: number }).reason;
  const kind = byText ?? (reason === 0 ? 'InvalidKey' : reason === 1 ? 'MissingKey' : null);
  if (kind === 'InvalidKey') return 'key';
  if (kind !== 'MissingKey') return null;        // the SDK's own hiccups
  const at = /at index (\d+)/.exec(err.message);
  return at && ahead(index, Number(at[1])) ? 'outdated' : 'key';
}

// frames (video) or samples (audio) decoded so far from p's media, and
// what the count needs to rise by to say it decodes
async function decoded(p: Participant): Promise<{ n: number; enough: number } | null> {
  const pubs = [...p.trackPublications.values()].filter((x) => x.track);
  const pick = pubs.find((x) => x.kind === Track.Kind.Video) ?? pubs[0];
  const report = await pick?.track?.getRTCStatsReport().catch(() => undefined);
  if (!pick || !report) return null;
  const video = pick.kind === Track.Kind.Video;
  let n = 0;
  report.forEach((s: Record<string, number | string>) => {
    if (s.type !== 'inbound-rtp') return;
    n += video ? Number(s.framesDecoded ?? 0)
      : Number(s.totalSamplesReceived ?? 0) - Number(s.concealedSamples ?? 0);
  });
  return { n, enough: video ? VIDEO_FRAMES : AUDIO_SAMPLES };
}

/** identity → problem, for everyone whose media this page cannot decrypt. */
export function useDecryptProblems(room: Room, e2ee: boolean,
                                   keyIndex: number): ReadonlyMap<string, DecryptProblem> {
  const [problems, setProblems] = useState<ReadonlyMap<string, DecryptProblem>>(new Map());
  const index = useRef(keyIndex);
  index.current = keyIndex;

  useEffect(() => {
    if (!e2ee) return undefined;
    const set = (id: string, v: DecryptProblem | null) => setProblems((old) => {
      if ((old.get(id) ?? null) === v) return old;
      const n = new Map(old);
      if (v) n.set(id, v);
      else n.delete(id);
      return n;
    });
    const onError = (err: Error, p?: Participant) => {
      const id = p?.identity ?? (err as { participantIdentity?: string }).participantIdentity;
      if (!id || id === room.localParticipant.identity) return;
      const v = classify(err, index.current);
      if (v) set(id, v);
    };
    const onLeft = (p: Participant) => set(p.identity, null);
    room.on(RoomEvent.EncryptionError, onError).on(RoomEvent.ParticipantDisconnected, onLeft);
    return () => {
      room.off(RoomEvent.EncryptionError, onError).off(RoomEvent.ParticipantDisconnected, onLeft);
    };
  }, [room, e2ee]);

  // those named are looked at until their media decodes again
  const last = useRef(new Map<string, number>());
  useEffect(() => {
    if (problems.size === 0) {
      last.current.clear();
      return undefined;
    }
    const t = window.setInterval(() => {
      for (const id of problems.keys()) {
        const p = room.getParticipantByIdentity(id);
        if (!p) continue;
        void decoded(p).then((d) => {
          if (!d) return;
          const before = last.current.get(id);
          last.current.set(id, d.n);
          if (before !== undefined && d.n - before >= d.enough) {
            last.current.delete(id);
            setProblems((old) => {
              if (!old.has(id)) return old;
              const m = new Map(old);
              m.delete(id);
              return m;
            });
          }
        });
      }
    }, LOOK_EVERY_MS);
    return () => window.clearInterval(t);
  }, [room, problems]);

  return problems;
}
