// Key rotation (src/rotation.ts): the sealed key message with fixed
// vectors (checked against node's own HKDF and HMAC, and by the bot's
// tests with the same vector), the message parser, the index ring, and
// the state machine on a simulated meeting with a fake clock: index
// handling, the switch delay and the grace, removals in a row, two
// moderators at once, a removal through the API (backups), the removed
// one coming back with its old key.

import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { b64url, type RoomKey } from '../../src/keys';
import {
  BACKUP_FIRST_MS, BACKUP_STEP_MS, GRACE_MS, KeyRotation, SWITCH_DELAY_MS, ahead,
  encodeMessage, nextIndex, openKey, parseMessage, sealKey, sealingKeys, wins,
  type KeyMessage, type Peer, type RotationHost,
} from '../../src/rotation';

const bytes = (n: number, from: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const OLD: RoomKey = { bytes: bytes(32, 0), index: 0 };
const NEW: RoomKey = { bytes: bytes(32, 0x20), index: 1 };
const NONCE = bytes(16, 0xa0);
const ROOM = 'vector-room';

// docs/e2ee.md section 3 (and tools/bedrud-bot/tests/test_rotation.py)
const VECTOR: KeyMessage = {
  type: 'bedrud-key', v: 1, from: 0, index: 1,
  nonce: 'oKGio6SlpqeoqaqrrK2urw',
  key: 'iZ1fYanmsLxCW4fV9fx8ItWvzTb8FrZ5Q6F_jLILonI',
  after: ['guest-carol123'],
  tag: 'h_3P9UdE4wT0Gaj1vrlAD6R48vE54ZDwatJsf_sLHqM',
};

// the same construction written with node's crypto, independently
function nodeSeal(from: RoomKey, next: RoomKey, room: string, nonce: Uint8Array,
                  after: string[]) {
  const okm = Buffer.from(hkdfSync('sha256', from.bytes, 'bedrud-key-rotation',
                                   Buffer.concat([Buffer.from('v1\0'), Buffer.from(room)]), 64));
  const mask = createHmac('sha256', okm.subarray(0, 32)).update(nonce).digest();
  const sealed = Buffer.from(next.bytes.map((b, i) => b ^ mask[i]));
  const ids = after.map((a) => Buffer.from(a));
  const tag = createHmac('sha256', okm.subarray(32)).update(Buffer.concat([
    Buffer.from('bedrud-key-v1\0'), Buffer.from([from.index, next.index]), nonce, sealed,
    Buffer.from([ids.length]), ...ids.flatMap((b) => [Buffer.from([b.length]), b])])).digest();
  return { key: b64url(sealed), tag: b64url(tag) };
}

describe('the key message', () => {
  it('derives the sealing keys with HKDF-SHA-256', async () => {
    const k = await sealingKeys(OLD.bytes, ROOM);
    expect(Buffer.from(k.pad).toString('hex'))
      .toBe('d70f2e2c14c7038dfa85a3d27bd695f8ceca2ada0b8c2a606524c376a2df1168');
    expect(Buffer.from(k.mac).toString('hex'))
      .toBe('6e75abf073b8757e63dbfb0c00bb41a17c69b2f1b7b14772cec119d57c757a58');
  });
  it('seals the fixed vector', async () => {
    expect(await sealKey(OLD, NEW, ROOM, NONCE, ['guest-carol123'])).toEqual(VECTOR);
    const n = nodeSeal(OLD, NEW, ROOM, NONCE, ['guest-carol123']);
    expect([n.key, n.tag]).toEqual([VECTOR.key, VECTOR.tag]);
  });
  it('agrees with node\'s crypto on other input', async () => {
    const from = { bytes: bytes(32, 77), index: 15 };
    const next = { bytes: bytes(32, 200), index: 0 };
    const m = await sealKey(from, next, 'Ünïcode room', bytes(16, 9), ['u-1', 'guest-x']);
    const n = nodeSeal(from, next, 'Ünïcode room', bytes(16, 9), ['u-1', 'guest-x']);
    expect([m.key, m.tag]).toEqual([n.key, n.tag]);
  });
  it('opens with the key that sealed it, and with no other', async () => {
    expect(await openKey(VECTOR, [bytes(32, 1), OLD.bytes], ROOM)).toEqual(NEW.bytes);
    expect(await openKey(VECTOR, [bytes(32, 1)], ROOM)).toBeNull();
    expect(await openKey(VECTOR, [OLD.bytes], 'other-room')).toBeNull();
  });
  it('refuses any change to what the tag covers', async () => {
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const m of [
      { ...VECTOR, key: flip(VECTOR.key) },
      { ...VECTOR, nonce: flip(VECTOR.nonce) },
      { ...VECTOR, tag: flip(VECTOR.tag) },
      { ...VECTOR, from: 1, index: 2 },
      { ...VECTOR, after: [] },
      { ...VECTOR, after: ['guest-carol123', 'guest-dave'] },
      { ...VECTOR, after: ['guest-carol124'] },
    ]) {
      expect(await openKey(m as KeyMessage, [OLD.bytes], ROOM)).toBeNull();
    }
  });
  it('parses what it encodes and nothing malformed', () => {
    expect(parseMessage(encodeMessage(VECTOR))).toEqual(VECTOR);
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const { after: _a, ...noAfter } = VECTOR;
    expect(parseMessage(enc(noAfter))).toEqual({ ...VECTOR, after: [] });
    for (const bad of [
      { ...VECTOR, type: 'system' }, { ...VECTOR, v: 2 }, { ...VECTOR, from: 16, index: 1 },
      { ...VECTOR, index: 2 }, { ...VECTOR, from: -1, index: 0 }, { ...VECTOR, from: 0.5 },
      { ...VECTOR, key: 5 }, { ...VECTOR, after: 'x' }, { ...VECTOR, after: [''] },
      { ...VECTOR, after: ['x'.repeat(256)] }, { ...VECTOR, after: Array(17).fill('x') },
      [VECTOR], null,
    ]) {
      expect(parseMessage(enc(bad))).toBeNull();
    }
    expect(parseMessage(new TextEncoder().encode('not json'))).toBeNull();
    expect(parseMessage(enc({ ...VECTOR, pad: 'x'.repeat(1100) }))).toBeNull();
    expect(parseMessage(Uint8Array.of(0xff, 0xfe))).toBeNull();
  });
  it('goes round the ring of 16 indexes', () => {
    expect(nextIndex(0)).toBe(1);
    expect(nextIndex(15)).toBe(0);
    expect(ahead(0, 1)).toBe(1);
    expect(ahead(15, 0)).toBe(1);
    expect(ahead(14, 2)).toBe(4);
    expect(ahead(3, 3)).toBe(0);
    expect(ahead(3, 2)).toBe(0);      // behind
    expect(ahead(0, 8)).toBe(0);      // too far: as good as behind
    expect(ahead(0, 7)).toBe(7);
  });
  it('settles a tie by the smaller SHA-256', async () => {
    // SHA-256(00..1f) = 630dcd29..., SHA-256(20..3f) = 72dbb733...
    expect(createHash('sha256').update(OLD.bytes).digest('hex').slice(0, 8)).toBe('630dcd29');
    expect(await wins(OLD.bytes, NEW.bytes)).toBe(true);
    expect(await wins(NEW.bytes, OLD.bytes)).toBe(false);
    expect(await wins(OLD.bytes, OLD.bytes)).toBe(false);
  });
});

// ------------------------------------------------------ a simulated meeting

const LATENCY = 20;         // ms, each data packet

interface Task { at: number; seq: number; fn: () => void }

class Meeting {
  t = 0;
  private seq = 0;
  tasks: Task[] = [];
  people = new Map<string, Person>();
  log: string[] = [];

  later(fn: () => void, ms: number): () => void {
    const task = { at: this.t + ms, seq: this.seq++, fn };
    this.tasks.push(task);
    return () => { this.tasks = this.tasks.filter((x) => x !== task); };
  }

  join(identity: string, key: RoomKey, { rank = 2 } = {}): Person {
    const p = new Person(this, identity, key, rank);
    this.people.set(identity, p);
    return p;
  }

  /** The server removes `target` (its connection closed) then tells everyone "rekey". */
  remove(actor: string, target: string): void {
    const gone = this.people.get(target);
    if (gone) gone.connected = false;
    this.people.delete(target);
    for (const p of this.people.values()) {
      this.later(() => { void p.rot.removed(actor, target); }, LATENCY);
    }
  }

  present(): Person[] {
    return [...this.people.values()].filter((p) => p.connected);
  }

  async settle(): Promise<void> {
    // a task only queues work (removed, received, a timer's run): done
    // when every queue is
    for (let i = 0; i < 3; i++) {
      await Promise.all([...this.people.values()].map((p) => p.rot.idle()));
    }
  }

  /** Runs the clock `ms` forward, 5 ms at a time, checking who decodes whom. */
  async run(ms: number, each?: () => void): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      this.t += 5;
      for (;;) {
        const due = this.tasks.filter((x) => x.at <= this.t)
          .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
        if (!due) break;
        this.tasks = this.tasks.filter((x) => x !== due);
        due.fn();
        await this.settle();
      }
      each?.();
    }
  }
}

class Person {
  connected = true;
  since: number;
  slots = new Map<number, string>();       // what the SDK holds, hex
  sending: number;
  links: RoomKey[] = [];
  got = 0;                                 // key messages received
  rot: KeyRotation;
  private n = 0;

  constructor(private m: Meeting, readonly identity: string, key: RoomKey, readonly rank: number) {
    this.since = m.t;
    this.slots.set(key.index, hex(key.bytes));
    this.sending = key.index;
    const host: RotationHost = {
      now: () => m.t,
      later: (fn, ms) => m.later(fn, ms),
      // a fixed stream per person, so that every run is the same
      random: (len) => Uint8Array.from(createHash('sha256')
        .update(`${identity}/${this.n++}`).digest().subarray(0, len)),
      me: () => identity,
      myRank: () => rank,
      peers: () => m.present().filter((p) => p !== this)
        .map((p): Peer => ({ identity: p.identity, since: p.since, rank: p.rank })),
      hold: async (k) => { this.slots.set(k.index, hex(k.bytes)); },
      sendWith: async (i) => { this.sending = i; },
      drop: async (i) => { this.slots.set(i, 'dropped'); },
      publish: async (payload, to) => {
        m.log.push(`${identity} -> ${to.join(',')}`);
        for (const id of to) {
          m.later(() => {
            const r = m.people.get(id);
            if (!r?.connected) return;
            r.got++;
            void r.rot.received({ identity, since: this.since, rank }, payload);
          }, LATENCY);
        }
      },
      changed: (k) => { this.links.push(k); },
    };
    this.rot = new KeyRotation(host, ROOM, key);
  }

  /** decodes what `other` sends now */
  decodes(other: Person): boolean {
    const k = other.slots.get(other.sending);
    return !!k && k !== 'dropped' && this.slots.get(other.sending) === k;
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// the longest time, in ms, any pair of `who` could not decode each other
function gapWatch(m: Meeting, who: () => Person[]) {
  const since = new Map<string, number>();
  let worst = 0;
  return {
    each: () => {
      for (const a of who()) {
        for (const b of who()) {
          if (a === b) continue;
          const k = `${a.identity}<${b.identity}`;
          if (a.decodes(b)) since.delete(k);
          else {
            if (!since.has(k)) since.set(k, m.t);
            worst = Math.max(worst, m.t - since.get(k)!);
          }
        }
      }
    },
    worst: () => worst,
  };
}

describe('rotation in a meeting', () => {
  it('a kick: the others take the next index, switch after the delay, drop the old key after the grace', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD);
    const carol = m.join('carol', OLD);
    const gap = gapWatch(m, () => [alice, bob]);

    m.remove('alice', 'carol');
    await m.run(100, gap.each);
    // Alice rotated at once, Bob holds the new key; both still send with 0
    expect(m.log).toEqual(['alice -> bob']);
    expect(carol.got).toBe(0);
    expect([alice.rot.current.index, bob.rot.current.index]).toEqual([1, 1]);
    expect(alice.slots.get(1)).toBe(bob.slots.get(1));
    expect([alice.sending, bob.sending]).toEqual([0, 0]);
    expect(alice.rot.holding()).toEqual([0, 1]);
    expect(bob.links.map((k) => k.index)).toEqual([1]);
    expect(alice.rot.waiting()).toEqual([]);
    expect(bob.rot.waiting()).toEqual([]);

    await m.run(SWITCH_DELAY_MS, gap.each);
    expect([alice.sending, bob.sending]).toEqual([1, 1]);
    expect(bob.rot.holding()).toEqual([0, 1]);           // the grace
    await m.run(GRACE_MS, gap.each);
    expect(alice.rot.holding()).toEqual([1]);
    expect(bob.slots.get(0)).toBe('dropped');
    expect(gap.worst()).toBe(0);                         // never a frame lost
    expect(carol.decodes(alice)).toBe(false);            // she kept the old key only
    // nobody else rotates later (no backup fired)
    await m.run(BACKUP_FIRST_MS + 5 * BACKUP_STEP_MS);
    expect(m.log).toHaveLength(1);
  });

  it('the removed one back with the old link gets nothing and can inject no key', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD);
    m.join('carol', OLD);
    m.remove('alice', 'carol');
    await m.run(300);
    const back = m.join('carol2', OLD);      // a new name, the old key
    // she seals a "new key" with the old one, at the index the others use
    const forged = await sealKey(OLD, { bytes: bytes(32, 0x55), index: 1 }, ROOM,
                                 bytes(16, 1), ['carol']);
    const from = { identity: 'carol2', since: back.since, rank: 2 };
    expect(await bob.rot.received(from, encodeMessage(forged))).toBeNull();
    expect(await alice.rot.received(from, encodeMessage(forged))).toBeNull();
    await m.run(SWITCH_DELAY_MS + GRACE_MS);
    expect(back.decodes(alice) || back.decodes(bob)).toBe(false);
    expect(alice.decodes(back)).toBe(false);        // her media: not decrypted either
    expect(bob.decodes(alice) && alice.decodes(bob)).toBe(true);
  });

  it('a newcomer with the new link decodes everyone', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD);
    m.join('carol', OLD);
    m.remove('alice', 'carol');
    await m.run(SWITCH_DELAY_MS + 100);
    const link = bob.links.at(-1)!;
    expect(link.index).toBe(1);
    const dave = m.join('dave', link);
    expect([dave.decodes(alice), dave.decodes(bob), alice.decodes(dave)]).toEqual([true, true, true]);
    // and follows the next rotation like the others
    m.remove('alice', 'bob');
    await m.run(SWITCH_DELAY_MS + GRACE_MS + 100);
    expect(dave.rot.current.index).toBe(2);
    expect(dave.decodes(alice) && alice.decodes(dave)).toBe(true);
  });

  it('removals in a row: one rotation each, all end on the last key', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD);
    const eve = m.join('eve', OLD);
    m.join('carol', OLD);
    m.join('dave', OLD);
    const gap = gapWatch(m, () => [alice, bob, eve]);
    m.remove('alice', 'carol');
    await m.run(200, gap.each);
    m.remove('alice', 'dave');
    await m.run(SWITCH_DELAY_MS + GRACE_MS + 300, gap.each);
    for (const p of [alice, bob, eve]) {
      expect(p.rot.current.index).toBe(2);
      expect(p.sending).toBe(2);
      expect(p.rot.holding()).toEqual([2]);
    }
    expect(new Set([alice, bob, eve].map((p) => p.slots.get(2))).size).toBe(1);
    expect(gap.worst()).toBe(0);
  });

  it('two moderators at once: one key wins everywhere, made after both removals', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD, { rank: 1 });
    const eve = m.join('eve', OLD);
    const carol = m.join('carol', OLD);
    const dave = m.join('dave', OLD);
    const gap = gapWatch(m, () => [alice, bob, eve]);
    // both removals happen before either moderator hears of the other's
    m.remove('alice', 'carol');
    m.remove('bob', 'dave');
    await m.run(SWITCH_DELAY_MS + GRACE_MS + BACKUP_FIRST_MS + 3 * BACKUP_STEP_MS, gap.each);
    const final = alice.slots.get(alice.rot.current.index);
    for (const p of [alice, bob, eve]) {
      expect(p.rot.current.index).toBe(alice.rot.current.index);
      expect(p.slots.get(p.rot.current.index)).toBe(final);
      expect(p.sending).toBe(p.rot.current.index);
      expect(p.rot.waiting()).toEqual([]);
    }
    expect(carol.got + dave.got).toBe(0);
    expect(gap.worst()).toBeLessThanOrEqual(LATENCY * 2);
  });

  it('a moderator\'s key made before another removal is followed by a clean one', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD, { rank: 1 });
    const eve = m.join('eve', OLD);
    const dave = m.join('dave', OLD);
    m.join('carol', OLD);
    // Alice rotates for Carol; her key reaches Dave, still there
    m.remove('alice', 'carol');
    await m.run(100);
    expect(dave.rot.current.index).toBe(1);
    // then Bob removes Dave: his client rotates again, after it
    m.remove('bob', 'dave');
    await m.run(SWITCH_DELAY_MS + GRACE_MS + 200);
    for (const p of [alice, bob, eve]) expect(p.rot.current.index).toBe(2);
    expect(dave.slots.get(2)).toBeUndefined();
    expect(m.log).toEqual(['alice -> bob,eve,dave', 'bob -> alice,eve']);
  });

  it('a kick through the API (the actor is not here): the first in order rotates, once', async () => {
    const m = new Meeting();
    const bob = m.join('bob', OLD);
    const alice = m.join('alice', OLD, { rank: 0 });
    const eve = m.join('eve', OLD);
    m.join('carol', OLD);
    m.remove('admin-elsewhere', 'carol');
    await m.run(SWITCH_DELAY_MS + GRACE_MS + BACKUP_FIRST_MS + 3 * BACKUP_STEP_MS);
    expect(m.log).toEqual(['alice -> bob,eve']);       // the owner goes first
    for (const p of [alice, bob, eve]) expect(p.sending).toBe(1);
  });

  it('an actor whose client cannot rotate: the backups take over after their wait', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD, { rank: 1 });
    const eve = m.join('eve', OLD);
    m.join('carol', OLD);
    // a participant whose client ignores key messages (Bedrud's own client)
    const old = m.join('oldclient', OLD, { rank: 1 });
    old.rot.removed = async () => {};
    m.remove('oldclient', 'carol');
    await m.run(BACKUP_FIRST_MS - 50);
    expect(m.log).toEqual([]);
    await m.run(100);
    expect(m.log).toEqual(['alice -> bob,eve,oldclient']);  // Alice first, Bob did not need to
    await m.run(BACKUP_STEP_MS * 3 + SWITCH_DELAY_MS);
    expect(m.log).toHaveLength(1);
    for (const p of [alice, bob, eve]) expect(p.sending).toBe(1);
  });

  it('the same removal told twice (own answer, then the server) rotates once', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    m.join('bob', OLD);
    m.join('carol', OLD);
    await m.run(10);
    await alice.rot.removed('alice', 'carol');
    m.remove('alice', 'carol');
    await m.run(SWITCH_DELAY_MS + 100);
    expect(m.log).toHaveLength(1);
    expect(alice.rot.current.index).toBe(1);
  });

  it('a replayed or stale message changes nothing; one sealed with a dropped key opens nothing', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD);
    await m.run(10);
    const peer = { identity: 'alice', since: alice.since, rank: 0 };
    const first = await sealKey(OLD, NEW, ROOM, NONCE);
    expect(await bob.rot.received(peer, encodeMessage(first))).toBe('newer');
    expect(await bob.rot.received(peer, encodeMessage(first))).toBeNull();    // replayed
    expect(await bob.rot.received(undefined, encodeMessage(first))).toBeNull(); // the server
    await m.run(SWITCH_DELAY_MS + GRACE_MS + 10);
    expect(bob.rot.holding()).toEqual([1]);
    // index 0 again, sealed with the dropped key: cannot be opened
    const stale = await sealKey({ bytes: OLD.bytes, index: 15 }, { bytes: bytes(32, 9), index: 0 },
                                ROOM, NONCE);
    expect(await bob.rot.received(peer, encodeMessage(stale))).toBeNull();
    // the next one, sealed with the key at 1
    const next = await sealKey(NEW, { bytes: bytes(32, 0x40), index: 2 }, ROOM, NONCE);
    expect(await bob.rot.received(peer, encodeMessage(next))).toBe('newer');
    expect(bob.rot.current.index).toBe(2);
    expect(bob.links.map((k) => k.index)).toEqual([1, 2]);
  });

  it('sixteen rotations come round the ring', async () => {
    const m = new Meeting();
    const alice = m.join('alice', OLD, { rank: 0 });
    const bob = m.join('bob', OLD);
    for (let i = 0; i < 17; i++) {
      const x = m.join(`x${i}`, alice.rot.current);
      m.remove('alice', x.identity);
      await m.run(SWITCH_DELAY_MS + 200);
    }
    expect(alice.rot.current.index).toBe(1);
    expect(bob.rot.current).toEqual(alice.rot.current);
    expect(bob.decodes(alice) && alice.decodes(bob)).toBe(true);
  });
});
