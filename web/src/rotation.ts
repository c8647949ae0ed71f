// Key rotation (issue 9): when someone is removed from an E2EE room, the
// key every old link carries must stop working. A participant's client
// makes a new 32-byte key for the next key index and sends it, sealed with
// the current key, over LiveKit's data channel (itself encrypted with the
// current key) to the participants still present; the server closed the
// removed one's connection before it told the room ("rekey"). Everyone
// holds the new key at once, sends with it SWITCH_DELAY_MS later, and
// forgets the previous keys GRACE_MS after that. docs/e2ee.md section 3
// is the wire format; tools/bedrud-bot/bedrud_bot/rotation.py follows it.
//
// Pure: no DOM, no LiveKit. Time, randomness and the SDK come through
// RotationHost, so that test/unit/rotation.test.ts drives it on a fake
// clock with fixed vectors.
//
// Who rotates: on the server's "rekey", the client of its actor (the
// moderator who removed) at once; if the actor's client does not (Bedrud's
// own client, a kick through the API by someone not in the meeting), the
// others take turns, in a fixed order (owner, moderators, then everyone,
// by identity), BACKUP_FIRST_MS then every BACKUP_STEP_MS, each only while
// a removal is still unanswered.
//
// Convergence, and why the key everyone ends on reached nobody removed:
//   - a key message names the removals its sender had been told of when
//     it made the key ("after", under the tag): the server disconnected
//     those before telling anyone, so the key never reached them;
//   - every client keeps the removals it was told of until it takes a key
//     made after them, and rotates itself when its turn comes while one is
//     still unanswered;
//   - a key for a later index (1 to 7 ahead) replaces the current one;
//     two keys for the same index (two moderators at once, a backup that
//     overlapped the actor) are settled by the smaller SHA-256 of the key
//     bytes, the same choice everywhere. A key that loses, or one made
//     before a later removal, answers nothing, so someone makes another,
//     at the next index, that does;
//   - only participants present before the last removal may send a key
//     (the removed one, back with its old link, could seal one too).

import { KEYRING_SIZE, KEY_BYTES, b64url, unb64url, type RoomKey } from './keys';
import { jsonObject } from './datajson';

/** LiveKit data packets of this topic carry the key messages. */
export const KEY_TOPIC = 'bedrud-key';
/** From holding a new key to sending with it: every present receiver has it by then. */
export const SWITCH_DELAY_MS = 1000;
/** From sending with the new key to forgetting the previous ones. */
export const GRACE_MS = 3000;
/** When the actor's client has not rotated: the first backup's wait, then one step per place. */
export const BACKUP_FIRST_MS = 1500;
export const BACKUP_STEP_MS = 1000;
/** The same removal told twice (our own moderation's answer, then the server's "rekey"). */
export const SAME_REMOVAL_MS = 3000;

const VERSION = 1;
const MAX_MESSAGE = 1024;
const NONCE_BYTES = 16;
const enc = new TextEncoder();
const SALT = enc.encode('bedrud-key-rotation');
const HEADER = enc.encode('bedrud-key-v1');

export const nextIndex = (i: number): number => (i + 1) % KEYRING_SIZE;

/** How far index `b` is ahead of `a` on the ring: 1..7, or 0 (same or behind). */
export function ahead(a: number, b: number): number {
  const d = (b - a + KEYRING_SIZE) % KEYRING_SIZE;
  return d >= 1 && d < KEYRING_SIZE / 2 ? d : 0;
}

/** What travels (JSON, UTF-8): the new key sealed with the key at `from`. */
export interface KeyMessage {
  type: 'bedrud-key';
  v: 1;
  /** the key index whose key sealed it (the sender's newest) */
  from: number;
  /** the new key's index: from + 1 (mod 16) */
  index: number;
  /** 16 random bytes, base64url */
  nonce: string;
  /** the new key XOR the pad, base64url (32 bytes) */
  key: string;
  /**
   * The removals (their LiveKit identities) the sender had been told of
   * and this key answers: the key was made after they were disconnected.
   */
  after: string[];
  /** HMAC-SHA-256, base64url (32 bytes) */
  tag: string;
}

/** At most this many identities in `after`, each at most 255 bytes of UTF-8. */
export const MAX_AFTER = 16;

// ------------------------------------------------------------- sealing

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const buf = (a: Uint8Array): ArrayBuffer => a.slice().buffer;

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' },
                                     false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, buf(data)));
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

/**
 * The sealing keys of a room key: HKDF-SHA-256(IKM = the 32 key bytes,
 * salt = "bedrud-key-rotation", info = "v1" 00 <room name>, 64 bytes):
 * the first 32 make the pad, the last 32 the tag.
 */
export async function sealingKeys(key: Uint8Array, room: string):
Promise<{ pad: Uint8Array; mac: Uint8Array }> {
  const ikm = await subtle().importKey('raw', buf(key), 'HKDF', false, ['deriveBits']);
  const bits = new Uint8Array(await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: buf(SALT),
      info: buf(concat(enc.encode('v1'), Uint8Array.of(0), enc.encode(room))) },
    ikm, 512));
  return { pad: bits.slice(0, 32), mac: bits.slice(32) };
}

// what the tag covers: "bedrud-key-v1" 00 from index nonce sealed-key
// count (len identity)...
function tagged(from: number, index: number, nonce: Uint8Array, sealed: Uint8Array,
                after: readonly string[]): Uint8Array {
  const ids = after.map((a) => enc.encode(a));
  return concat(HEADER, Uint8Array.of(0, from, index), nonce, sealed,
                Uint8Array.of(ids.length), ...ids.map((b) => concat(Uint8Array.of(b.length), b)));
}

const afterOk = (after: readonly string[]) => after.length <= MAX_AFTER
  && after.every((a) => a.length > 0 && enc.encode(a).length <= 255);

/**
 * Seals `next` with `with_` (the sender's newest key): the new key XOR
 * HMAC-SHA-256(pad key, nonce), then HMAC-SHA-256(mac key, header) over
 * all of it. The room key is secret and the nonce fresh, so the pad is
 * a one-time pad; the tag proves the sender held `with_` (the server,
 * which does not, can neither read nor forge a key message).
 */
export async function sealKey(with_: RoomKey, next: RoomKey, room: string,
                              nonce: Uint8Array, after: readonly string[] = []):
Promise<KeyMessage> {
  if (next.bytes.length !== KEY_BYTES || nonce.length !== NONCE_BYTES || !afterOk(after)) {
    throw new Error('a key is 32 bytes, a nonce 16, at most 16 identities after');
  }
  const { pad, mac } = await sealingKeys(with_.bytes, room);
  const mask = await hmac(pad, nonce);
  const sealed = next.bytes.map((b, i) => b ^ mask[i]);
  const tag = await hmac(mac, tagged(with_.index, next.index, nonce, sealed, after));
  return { type: 'bedrud-key', v: VERSION, from: with_.index, index: next.index,
           nonce: b64url(nonce), key: b64url(sealed), after: [...after], tag: b64url(tag) };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** The new key, if one of `candidates` (keys held at m.from) sealed it; else null. */
export async function openKey(m: KeyMessage, candidates: readonly Uint8Array[],
                              room: string): Promise<Uint8Array | null> {
  const nonce = unb64url(m.nonce);
  const sealed = unb64url(m.key);
  const tag = unb64url(m.tag);
  if (!nonce || nonce.length !== NONCE_BYTES || !sealed || sealed.length !== KEY_BYTES
      || !tag || tag.length !== 32) return null;
  for (const c of candidates) {
    const { pad, mac } = await sealingKeys(c, room);
    if (!same(await hmac(mac, tagged(m.from, m.index, nonce, sealed, m.after)), tag)) continue;
    const mask = await hmac(pad, nonce);
    return sealed.map((b, i) => b ^ mask[i]);
  }
  return null;
}

export const encodeMessage = (m: KeyMessage): Uint8Array => enc.encode(JSON.stringify(m));

/** A well-formed key message, or null. */
export function parseMessage(payload: Uint8Array): KeyMessage | null {
  const o = jsonObject(payload, MAX_MESSAGE);
  if (!o) return null;
  const idx = (x: unknown) => Number.isInteger(x) && (x as number) >= 0
    && (x as number) < KEYRING_SIZE;
  if (o.type !== 'bedrud-key' || o.v !== VERSION || !idx(o.from) || !idx(o.index)
      || o.index !== nextIndex(o.from as number)
      || typeof o.nonce !== 'string' || typeof o.key !== 'string'
      || typeof o.tag !== 'string') return null;
  const after = o.after ?? [];
  if (!Array.isArray(after) || !after.every((a) => typeof a === 'string')
      || !afterOk(after as string[])) return null;
  return { type: 'bedrud-key', v: VERSION, from: o.from as number, index: o.index as number,
           nonce: o.nonce, key: o.key, after: after as string[], tag: o.tag };
}

/** Of two keys for one index, does `a` win over `b`? (the smaller SHA-256) */
export async function wins(a: Uint8Array, b: Uint8Array): Promise<boolean> {
  const [ha, hb] = await Promise.all([a, b].map(async (k) =>
    new Uint8Array(await subtle().digest('SHA-256', buf(k)))));
  for (let i = 0; i < ha.length; i++) {
    if (ha[i] !== hb[i]) return ha[i] < hb[i];
  }
  return false;
}

// ------------------------------------------------------- the state machine

/** A remote participant, as the rotation needs to know it. */
export interface Peer {
  identity: string;
  /** when it was first seen (host.now()); 0: already there when we came */
  since: number;
  /** its place among the backups: 0 the room's owner, 1 a moderator, 2 anyone */
  rank: number;
}

export interface RotationHost {
  now(): number;
  /** runs fn after ms; returns a cancel */
  later(fn: () => void, ms: number): () => void;
  random(n: number): Uint8Array;
  me(): string;
  /** our own place among the backups (Peer.rank) */
  myRank(): number;
  /** the remote participants connected now */
  peers(): Peer[];
  /** decrypt with this key at its index (not send with it) */
  hold(key: RoomKey): Promise<void>;
  /** encrypt with the key held at this index */
  sendWith(index: number): Promise<void>;
  /** forget the key at this index (overwritten with random bytes) */
  drop(index: number): Promise<void>;
  /** a reliable data packet of KEY_TOPIC to these identities */
  publish(payload: Uint8Array, to: string[]): Promise<void>;
  /** the newest key changed: the link, what the tab keeps */
  changed(key: RoomKey, by: 'me' | 'peer'): void;
}

export type Accepted = 'newer' | 'replaced' | null;

export class KeyRotation {
  /** the newest key: the link's, and the one the next rotation seals with */
  current: RoomKey;
  /** the index we encrypt with */
  sending: number;
  /** keys held per index, the one in use first (others: losers of a tie, to open messages) */
  private held = new Map<number, Uint8Array[]>();
  /** when each identity was last removed */
  private removals = new Map<string, number>();
  private removedAt: number | null = null;
  /** removals no key made after them has answered yet (identity, when) */
  private pending = new Map<string, number>();
  private switchFor: number | null = null;
  private cancelSwitch: (() => void) | null = null;
  private cancelDrop: (() => void) | null = null;
  private cancelBackup: (() => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private host: RotationHost, private room: string, key: RoomKey) {
    this.current = key;
    this.sending = key.index;
    this.held.set(key.index, [key.bytes]);
  }

  /** Indexes holding a real key (for tests and the page's state). */
  holding(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Removals still waiting for a new key. */
  waiting(): string[] {
    return [...this.pending.keys()];
  }

  /** Resolves when everything queued so far is done. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  // one thing at a time: events and timers interleave with crypto awaits
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Someone was removed (the server's "rekey" after a kick or a ban, or
   * our own moderation's answer). The actor's client rotates now; the
   * others wait their turn in case no key made after it comes.
   */
  removed(actor: string, target: string): Promise<void> {
    return this.run(async () => {
      const now = this.host.now();
      const before = this.removals.get(target);
      this.removals.set(target, now);
      if (before !== undefined && now - before < SAME_REMOVAL_MS) return;
      this.removedAt = now;
      this.pending.delete(target);
      this.pending.set(target, now);
      while (this.pending.size > MAX_AFTER) {
        this.pending.delete(this.pending.keys().next().value as string);
      }
      this.cancelBackup?.();
      this.cancelBackup = null;
      const me = this.host.me();
      if (actor === me) {
        await this.rotate();
        return;
      }
      const order = this.eligible().filter((p) => p.identity !== actor)
        .concat({ identity: me, since: 0, rank: this.host.myRank() })
        .sort((a, b) => a.rank - b.rank || (a.identity < b.identity ? -1 : 1));
      const place = order.findIndex((p) => p.identity === me);
      const actorHere = this.host.peers().some((p) => p.identity === actor);
      const wait = actorHere ? BACKUP_FIRST_MS + place * BACKUP_STEP_MS
        : place === 0 ? 0 : BACKUP_FIRST_MS + (place - 1) * BACKUP_STEP_MS;
      this.cancelBackup = this.host.later(() => {
        this.cancelBackup = null;
        void this.run(async () => {
          if (this.pending.size) await this.rotate();
        });
      }, wait);
    });
  }

  // present participants that should get a new key now: not the removed
  // one (if its disconnect is not seen yet), none that came after the last
  // removal (it may be the removed one again, with its old link)
  private eligible(): Peer[] {
    return this.host.peers().filter((p) => {
      const r = this.removals.get(p.identity);
      if (r !== undefined && p.since <= r) return false;
      return this.removedAt === null || p.since < this.removedAt;
    });
  }

  /** Makes a new key for the next index and sends it (called queued). */
  private async rotate(): Promise<void> {
    const next: RoomKey = { bytes: this.host.random(KEY_BYTES),
                            index: nextIndex(this.current.index) };
    const after = [...this.pending.keys()];
    const m = await sealKey(this.current, next, this.room, this.host.random(NONCE_BYTES), after);
    const to = this.eligible().map((p) => p.identity);
    if (to.length) await this.host.publish(encodeMessage(m), to);
    await this.adopt(next, after, 'me', false);
  }

  /**
   * A key message from a participant (LiveKit's data packet of KEY_TOPIC).
   * Returns what it did: a newer key, a tie won, or nothing.
   */
  received(from: Peer | undefined, payload: Uint8Array): Promise<Accepted> {
    return this.run(async () => {
      // only a participant that was here before the last removal: the
      // removed one, back with its old link, could seal a message too
      if (!from || (this.removedAt !== null && from.since >= this.removedAt)) return null;
      const r = this.removals.get(from.identity);
      if (r !== undefined && from.since <= r) return null;
      const m = parseMessage(payload);
      if (!m) return null;
      const bytes = await openKey(m, this.held.get(m.from) ?? [], this.room);
      if (!bytes) return null;
      const key = { bytes, index: m.index };
      if (ahead(this.current.index, m.index)) {
        await this.adopt(key, m.after, 'peer', false);
        return 'newer';
      }
      if (m.index !== this.current.index || same(bytes, this.current.bytes)) return null;
      if (!(await wins(bytes, this.current.bytes))) {
        this.held.get(m.index)?.push(bytes);     // the loser still opens messages
        return null;
      }
      await this.adopt(key, m.after, 'peer', true);
      return 'replaced';
    });
  }

  private async adopt(key: RoomKey, after: readonly string[], by: 'me' | 'peer',
                      tie: boolean): Promise<void> {
    const list = tie ? this.held.get(key.index) ?? [] : [];
    this.held.set(key.index, [key.bytes, ...list]);
    await this.host.hold(key);
    this.current = key;
    for (const a of after) this.pending.delete(a);
    this.host.changed(key, by);
    if (this.sending === key.index || this.switchFor === key.index) return;
    this.cancelSwitch?.();
    this.switchFor = key.index;
    this.cancelSwitch = this.host.later(() => {
      void this.run(() => this.switchTo(key.index));
    }, SWITCH_DELAY_MS);
  }

  private async switchTo(index: number): Promise<void> {
    this.cancelSwitch = null;
    this.switchFor = null;
    if (this.current.index !== index) return;
    this.sending = index;
    await this.host.sendWith(index);
    this.cancelDrop?.();
    this.cancelDrop = this.host.later(() => {
      this.cancelDrop = null;
      void this.run(() => this.dropOld());
    }, GRACE_MS);
  }

  private async dropOld(): Promise<void> {
    for (const i of [...this.held.keys()]) {
      if (i === this.current.index || i === this.sending) continue;
      this.held.delete(i);
      await this.host.drop(i);
    }
    // the losers of a tie at the current index are not needed either
    this.held.set(this.current.index, [this.current.bytes]);
  }

  /** Stops every timer (the meeting ended). */
  stop(): void {
    this.cancelSwitch?.();
    this.cancelDrop?.();
    this.cancelBackup?.();
    this.cancelSwitch = this.cancelDrop = this.cancelBackup = null;
  }
}
