// Server system messages and disconnect reasons (src/system.ts).

import { describe, expect, it } from 'vitest';
import { describeSystem, disconnectText, parseSystem } from '../../src/system';

const enc = (v: unknown) => new TextEncoder().encode(
  typeof v === 'string' ? v : JSON.stringify(v));
const names = (id: string) => ({ u1: 'Alice', 'guest-abc': 'Carol' }[id] ?? '');

describe('parseSystem', () => {
  it('reads the server\'s messages', () => {
    expect(parseSystem(enc({ type: 'system', event: 'kick', actor: 'u1', target: 'guest-abc' })))
      .toEqual({ event: 'kick', actor: 'u1', target: 'guest-abc' });
    expect(parseSystem(enc({ type: 'system', event: 'rekey' })))
      .toEqual({ event: 'rekey', actor: '', target: '' });
  });
  it('refuses anything else', () => {
    for (const p of [
      enc('not json'), enc([]), enc(null), enc({ event: 'kick' }),
      enc({ type: 'chat', event: 'kick' }),
      enc({ type: 'system', event: 'format_disk' }),
      enc({ type: 'system', event: 7 }),
      Uint8Array.of(0xff, 0xfe),
      enc({ type: 'system', event: 'kick', pad: 'x'.repeat(5000) }),
    ]) {
      expect(parseSystem(p)).toBeNull();
    }
  });
  it('cuts long identities', () => {
    const m = parseSystem(enc({ type: 'system', event: 'ban', target: 'x'.repeat(300) }));
    expect(m?.target.length).toBe(256);
  });
});

describe('describeSystem', () => {
  it('speaks to the target', () => {
    expect(describeSystem({ event: 'ask_unmute', actor: 'u1', target: 'me' }, 'me', names))
      .toBe('A moderator asks you to unmute your microphone.');
    expect(describeSystem({ event: 'mute', actor: 'u1', target: 'me' }, 'me', names))
      .toBe('A moderator muted your microphone.');
  });
  it('names others', () => {
    expect(describeSystem({ event: 'kick', actor: 'u1', target: 'guest-abc' }, 'me', names))
      .toBe('Carol was removed from the meeting by a moderator.');
    expect(describeSystem({ event: 'ban', actor: 'u1', target: 'zz' }, 'me', names))
      .toBe('Someone was banned from this room by a moderator.');
    expect(describeSystem({ event: 'ask_unmute', actor: 'u1', target: 'u1' }, 'me', names))
      .toBeNull();
  });
});

describe('disconnectText', () => {
  it('says why, in words', () => {
    expect(disconnectText(1)).toBeNull();
    expect(disconnectText(4)).toBe('A moderator removed you from this meeting.');
    expect(disconnectText(4, 'ban')).toBe('A moderator banned you from this meeting.');
    expect(disconnectText(5)).toBe('The meeting was closed.');
    expect(disconnectText(10)).toBe('The meeting was closed.');
    expect(disconnectText(2)).toMatch(/another tab/);
    expect(disconnectText(undefined)).toBe('The connection to the meeting was lost.');
  });
});
