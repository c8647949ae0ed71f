// The session's pure parts (src/session-util.ts): one refresh in flight
// for the whole page, where a sign-in may send the person back to, the
// roles an access token carries.

import { describe, expect, it } from 'vitest';
import { safeNext, signInPath, singleFlight, tokenAccesses } from '../../src/session-util';

describe('singleFlight', () => {
  it('calls made while one runs share it: one refresh for many 401s', async () => {
    let calls = 0;
    let release!: (v: number) => void;
    const f = singleFlight(() => { calls++; return new Promise<number>((r) => { release = r; }); });
    const all = Promise.all([f(), f(), f()]);
    expect(calls).toBe(1);
    release(7);
    expect(await all).toEqual([7, 7, 7]);
  });

  it('a call after it settled starts a new one', async () => {
    let calls = 0;
    const f = singleFlight(async () => ++calls);
    expect(await f()).toBe(1);
    expect(await f()).toBe(2);
  });

  it('a failure reaches every waiter, and the next call runs again', async () => {
    let calls = 0;
    const f = singleFlight(async () => { calls++; throw new Error('no'); });
    const r = await Promise.allSettled([f(), f()]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    await expect(f()).rejects.toThrow('no');
    expect(calls).toBe(2);
  });
});

describe('safeNext', () => {
  it('keeps a local path with its query', () => {
    expect(safeNext('/account')).toBe('/account');
    expect(safeNext('/admin/users?page=2')).toBe('/admin/users?page=2');
  });

  it('sends anything that could leave the site to "/"', () => {
    for (const bad of [null, undefined, '', 'https://evil.example/', '//evil.example/x',
                       '/\\evil.example', 'javascript:alert(1)', 'account',
                       '/a\nb', '/a\u0000', `/${'x'.repeat(3000)}`]) {
      expect(safeNext(bad)).toBe('/');
    }
  });

  it('never back to the sign-in page itself', () => {
    expect(safeNext('/signin')).toBe('/');
    expect(safeNext('/signin?next=/x')).toBe('/');
  });
});

describe('signInPath', () => {
  it('comes back to the page, encoded', () => {
    expect(signInPath('/account')).toBe('/signin?next=%2Faccount');
    expect(signInPath('/admin/users?page=2')).toBe('/signin?next=%2Fadmin%2Fusers%3Fpage%3D2');
  });

  it('plain /signin for the home page or anything unsafe', () => {
    expect(signInPath('/')).toBe('/signin');
    expect(signInPath('//evil.example')).toBe('/signin');
  });
});

describe('tokenAccesses', () => {
  const jwt = (claims: object) =>
    `e30.${btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.sig`;

  it('reads the roles of a token', () => {
    expect(tokenAccesses(jwt({ accesses: ['user', 'superadmin'] }))).toEqual(['user', 'superadmin']);
    expect(tokenAccesses(jwt({ sub: 'x' }))).toEqual([]);
    expect(tokenAccesses(jwt({ accesses: ['user', 5, null] }))).toEqual(['user']);
  });

  it('null for what is no JWT', () => {
    expect(tokenAccesses(null)).toBeNull();
    expect(tokenAccesses('garbage')).toBeNull();
    expect(tokenAccesses('a.%%%.c')).toBeNull();
  });
});
