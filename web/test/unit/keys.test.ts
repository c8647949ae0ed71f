// The key and fragment logic (src/keys.ts) with fixed vectors. The bot
// and native clients must read and write the same texts.

import { describe, expect, it } from 'vitest';
import {
  KEY_BYTES, b64url, forgetKey, loadKey, meetingLink, newRoomKey,
  parseFragment, parsePasted, roomOfPath, saveKey, takeKey, toFragment,
  unb64url, type KeyStore,
} from '../../src/keys';

const SEQ = Uint8Array.from({ length: 32 }, (_, i) => i);
const SEQ_TEXT = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const FF_TEXT = '_'.repeat(42) + '8';

function memory(): KeyStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => { map.set(k, v); },
    removeItem: (k) => { map.delete(k); },
  };
}

describe('base64url', () => {
  it('encodes without padding', () => {
    expect(b64url(SEQ)).toBe(SEQ_TEXT);
    expect(b64url(new Uint8Array(32).fill(255))).toBe(FF_TEXT);
    expect(b64url(Uint8Array.of(0xfb, 0xff))).toBe('-_8');
  });
  it('decodes what it encodes', () => {
    expect(unb64url(SEQ_TEXT)).toEqual(SEQ);
    expect(unb64url(FF_TEXT)).toEqual(new Uint8Array(32).fill(255));
  });
  it('refuses the standard alphabet, padding and junk', () => {
    expect(unb64url('+/8')).toBeNull();
    expect(unb64url('-_8=')).toBeNull();
    expect(unb64url('ab cd')).toBeNull();
    expect(unb64url('A')).toBeNull();       // 6 bits are no byte
  });
  it('refuses non-canonical trailing bits', () => {
    expect(unb64url('A'.repeat(42) + 'B')).toBeNull();
    expect(unb64url('A'.repeat(42) + 'w')).not.toBeNull();
  });
});

describe('fragment', () => {
  it('is key=<43 chars> for a new key', () => {
    expect(toFragment({ bytes: SEQ, index: 0 })).toBe(`key=${SEQ_TEXT}`);
    const k = newRoomKey();
    expect(k.bytes.length).toBe(KEY_BYTES);
    expect(k.index).toBe(0);
    expect(toFragment(k)).toMatch(/^key=[A-Za-z0-9_-]{43}$/);
  });
  it('uses the random source it is given', () => {
    const k = newRoomKey((a) => { a.set(SEQ); return a; });
    expect(toFragment(k)).toBe(`key=${SEQ_TEXT}`);
  });
  it('carries a rotated key index as ki', () => {
    expect(toFragment({ bytes: SEQ, index: 3 })).toBe(`key=${SEQ_TEXT}&ki=3`);
  });
  it('reads what it writes, with or without #', () => {
    for (const f of [`key=${SEQ_TEXT}`, `#key=${SEQ_TEXT}`]) {
      expect(parseFragment(f)).toEqual({ kind: 'key', key: { bytes: SEQ, index: 0 } });
    }
    expect(parseFragment(`#key=${SEQ_TEXT}&ki=15`))
      .toEqual({ kind: 'key', key: { bytes: SEQ, index: 15 } });
    expect(parseFragment(`#ki=2&key=${SEQ_TEXT}`))
      .toEqual({ kind: 'key', key: { bytes: SEQ, index: 2 } });
  });
  it('ignores unknown parameters', () => {
    expect(parseFragment(`#key=${SEQ_TEXT}&v=2&x`))
      .toEqual({ kind: 'key', key: { bytes: SEQ, index: 0 } });
  });
  it('says none when there is no key', () => {
    expect(parseFragment('')).toEqual({ kind: 'none' });
    expect(parseFragment('#')).toEqual({ kind: 'none' });
    expect(parseFragment('#section-2')).toEqual({ kind: 'none' });
  });
  it('says bad for a damaged key, never a shorter one', () => {
    for (const f of [
      '#key=',
      `#key=${SEQ_TEXT.slice(0, 42)}`,         // cut short
      `#key=${SEQ_TEXT}AA`,                     // 33 bytes
      `#key=${SEQ_TEXT.replace('A', '+')}`,     // standard alphabet
      `#key=${SEQ_TEXT}=`,                      // padding
      `#key=${SEQ_TEXT}&key=${SEQ_TEXT}`,       // two keys
      `#key=${SEQ_TEXT}&ki=16`,                 // beyond the keyring
      `#key=${SEQ_TEXT}&ki=-1`,
      `#key=${SEQ_TEXT}&ki=01`,
      `#key=${SEQ_TEXT}&ki=`,
    ]) {
      expect(parseFragment(f).kind, f).toBe('bad');
    }
  });
});

describe('links', () => {
  it('builds the meeting link', () => {
    expect(meetingLink('https://m.example', 'team-a', { bytes: SEQ, index: 0 }))
      .toBe(`https://m.example/r/team-a#key=${SEQ_TEXT}`);
    expect(meetingLink('https://m.example', 'team-a', null))
      .toBe('https://m.example/r/team-a');
    expect(meetingLink('http://h', 'a b', null)).toBe('http://h/r/a%20b');
  });
  it('finds the room of a path', () => {
    expect(roomOfPath('/r/team-a')).toBe('team-a');
    expect(roomOfPath('/r/team-a/')).toBe('team-a');
    expect(roomOfPath('/r/a%20b')).toBe('a b');
    expect(roomOfPath('/r/%E0')).toBeNull();
    expect(roomOfPath('/')).toBeNull();
    expect(roomOfPath('/r/a/b')).toBeNull();
  });
  it('understands what people paste', () => {
    expect(parsePasted(` https://m.example/r/team-a#key=${SEQ_TEXT} `))
      .toEqual({ room: 'team-a', hash: `#key=${SEQ_TEXT}` });
    expect(parsePasted('/r/team-a')).toEqual({ room: 'team-a', hash: '' });
    expect(parsePasted('Team-A')).toEqual({ room: 'team-a', hash: '' });
    expect(parsePasted('')).toBeNull();
    expect(parsePasted('two words')).toBeNull();
  });
});

describe('the tab keeps the key', () => {
  it('saves the key of the fragment and finds it again without one', () => {
    const s = memory();
    expect(takeKey(s, 'r1', `#key=${SEQ_TEXT}`))
      .toEqual({ kind: 'key', key: { bytes: SEQ, index: 0 } });
    expect([...s.map.entries()]).toEqual([['bedrud.key.r1', `key=${SEQ_TEXT}`]]);
    // the reload: the address bar has no key any more
    expect(takeKey(s, 'r1', '')).toEqual({ kind: 'key', key: { bytes: SEQ, index: 0 } });
    expect(takeKey(s, 'r2', '')).toEqual({ kind: 'none' });
  });
  it('prefers a new link over what it saved', () => {
    const s = memory();
    saveKey(s, 'r1', { bytes: SEQ, index: 0 });
    const ff = new Uint8Array(32).fill(255);
    expect(takeKey(s, 'r1', `#key=${FF_TEXT}&ki=1`))
      .toEqual({ kind: 'key', key: { bytes: ff, index: 1 } });
    expect(loadKey(s, 'r1')).toEqual({ bytes: ff, index: 1 });
  });
  it('does not fall back to a saved key when the link is damaged', () => {
    const s = memory();
    saveKey(s, 'r1', { bytes: SEQ, index: 0 });
    expect(takeKey(s, 'r1', '#key=short').kind).toBe('bad');
  });
  it('forgets', () => {
    const s = memory();
    saveKey(s, 'r1', { bytes: SEQ, index: 0 });
    forgetKey(s, 'r1');
    expect(loadKey(s, 'r1')).toBeNull();
    s.setItem('bedrud.key.r1', 'garbage');
    expect(loadKey(s, 'r1')).toBeNull();
  });
});
