// Key rotation (issue 9) as people live it, in Debian's chromium
// (playwright-core, fake camera and microphone), against nginx + the
// module + LiveKit on loopback, run by t/912-web-rotation.t:
//
//   1. Alice (the owner) creates an E2EE room; Bob and Carol, guests, join
//      with its link; everyone decodes Alice's and Bob's cameras.
//   2. Alice removes Carol from the people list. Alice's and Bob's pages
//      take a new key at index 1 and switch to it; their invite links
//      now carry it ("&ki=1"), Bob's tab keeps it for a reload. Meanwhile
//      each samples the other's decoded video frames every 100 ms: the
//      longest time without a new frame around the switch is measured
//      (and compared with the same before the removal).
//   3. Carol comes back with her old link: she connects, decodes nothing
//      of Alice or Bob, and her page says her link is out of date (not a
//      generic error); Alice, once the grace is over, cannot decrypt her.
//   4. Dave joins with the new link: he decodes Alice and Bob.
//   5. Bob reloads his tab: he joins again with the kept new key.
//   6. A superadmin, not in the meeting, removes Dave through the API
//      (ADMIN_TOKEN): the server's "rekey" has no actor here, the owner's
//      client rotates to index 2, Bob follows.
//   7. Neither key is in any request the pages made.
//
// Prints "ok ..."/"not ok ..." lines, "room <name> key <old key>",
// "other key <new key>" and "info NAME VALUE" lines (the figures);
// exits 1 if a check failed.
//
// SCREENSHOTS=<dir> keeps screenshots of the new states (the notice of a
// changed key, the out-of-date link) at desktop and phone size.
//
// Usage: node test/rotation.mjs <base url>   (CHROMIUM; ADMIN_TOKEN)

import { mkdirSync } from 'node:fs';
import * as web from './lib.mjs';

const base = process.argv[2];
const admin = process.env.ADMIN_TOKEN;
const t = web.checker();
const { check } = t;
const info = (name, value) => console.log(`info ${name} ${value}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const browser = await web.launch();
const PHONE = { width: 390, height: 844 };
const shots = process.env.SCREENSHOTS;
if (shots) mkdirSync(shots, { recursive: true });
// at desktop size, then at phone size, then back
const shoot = async (page, name) => {
  if (!shots) return;
  const size = page.viewportSize();
  await page.screenshot({ path: `${shots}/${name}-desktop.png` });
  await page.setViewportSize(PHONE);
  await new Promise((r) => setTimeout(r, 500));
  await page.screenshot({ path: `${shots}/${name}-phone.png` });
  await page.setViewportSize(size);
};

// what the link says: its key and key index
const keyOf = (link) => /#key=([A-Za-z0-9_-]{43})/.exec(link)?.[1] ?? '';
const indexOf = (link) => Number(/[#&]ki=(\d+)/.exec(link)?.[1] ?? 0);

try {
  // 1. three people
  const alice = await web.person(browser, 'Alice', t);
  const bob = await web.person(browser, 'Bob', t);
  await web.keepPeerConnections(alice);
  await web.keepPeerConnections(bob);
  await web.signUp(alice, base, 'Alice');
  const { room, link } = await web.createRoom(alice, { e2ee: true, guests: true });
  const oldKey = keyOf(link);
  check(oldKey.length === 43 && indexOf(link) === 0, 'a new room\'s link has its key at index 0', link);
  await web.joinByLink(bob, link, { guest: 'Bob' });
  const carol = await web.person(browser, 'Carol', t);
  await web.joinByLink(carol, link, { guest: 'Carol', camera: false });
  check(await web.seesVideoOf(alice, 'Bob') && await web.seesVideoOf(bob, 'Alice'),
        'Alice and Bob decode each other');
  check(await web.seesVideoOf(carol, 'Alice') && await web.seesVideoOf(carol, 'Bob'),
        'Carol decodes them too');
  check((await web.keyState(alice)).sending === 0, 'everyone sends with key index 0');

  // 2. Alice removes Carol; the key changes
  await web.startFrames(alice);
  await web.startFrames(bob);
  await sleep(3000);
  const kickAt = Date.now();
  await web.moderate(alice, 'Carol', 'kick');
  const told = await web.waitTrue(carol, () =>
    /moderator removed you/.test(document.querySelector('[data-testid=ended]')?.textContent ?? ''));
  check(told, 'Carol is told she was removed');
  const switched = await web.sendsWithIndex(alice, 1) && await web.sendsWithIndex(bob, 1);
  const switchedAt = Date.now();
  check(switched, 'Alice and Bob take key index 1 and send with it',
        JSON.stringify([await web.keyState(alice), await web.keyState(bob)]));
  info('switch-seconds', ((switchedAt - kickAt) / 1000).toFixed(2));
  const bobTold = await web.notices(bob);
  check(bobTold.some((n) => /room key was changed.*old links/.test(n)),
        'Bob is told the room key changed', JSON.stringify(bobTold));
  // (desktop only: a phone-sized page would ask for other video layers
  // while the frames are sampled)
  if (shots) await bob.screenshot({ path: `${shots}/rotation-changed-desktop.png` });
  // past the grace (3 s), so that the old key is dropped too
  await sleep(5000);
  const end = Date.now();
  const [fa, fb] = [await web.stopFrames(alice), await web.stopFrames(bob)];
  // from each page's own switch to the end of the grace, and before the
  // removal for comparison (Carol leaving changes the layout, and so the
  // video layers asked for, by itself)
  const sw = [web.switchedAt(fa, 1), web.switchedAt(fb, 1)];
  const from = Math.min(...sw.map((x) => x ?? kickAt)) - 500;
  const around = [web.longestFreeze(fa, from, end), web.longestFreeze(fb, from, end)];
  const whole = [web.longestFreeze(fa, kickAt, end), web.longestFreeze(fb, kickAt, end)];
  const before = [web.longestFreeze(fa, kickAt - 3000, kickAt),
                  web.longestFreeze(fb, kickAt - 3000, kickAt)];
  info('switch-ms-after-kick', sw.map((x) => (x === null ? 'none' : x - kickAt)).join(' '));
  info('freeze-ms-around-switch', around.map((f) => f.worst).join(' '));
  info('freeze-ms-after-kick', whole.map((f) => `${f.worst}@${f.at - kickAt}`).join(' '));
  info('freeze-ms-before-kick', before.map((f) => f.worst).join(' '));
  info('frames-around-switch', around.map((f) => f.frames).join(' '));
  // where the time went, when a freeze is too long: the key steps (the
  // pages' performance marks) and the frame counts, from the removal on
  for (const [page, f] of around.some((x) => x.worst >= 1000) ? [[alice, fa], [bob, fb]] : []) {
    const mk = Object.entries(await web.marks(page)).filter(([n]) => /key-/.test(n))
      .map(([n, at]) => `${n.replace('bedrud:key-', '')}@${at - kickAt}`);
    const fr = f.filter(([at]) => at >= kickAt - 200).map(([at, n]) => `${at - kickAt}:${n}`);
    info(`trace-${page.who}`, `${mk.join(' ')} | ${fr.join(' ')}`);
  }
  check(sw.every((x) => x !== null), 'both pages switched while sampled', JSON.stringify(sw));
  check(around.every((f) => f.frames > 50),
        'Alice and Bob keep decoding each other through the switch and the grace',
        JSON.stringify(around));
  // the switch delay is 1000 ms: a frozen picture would be at least that
  check(around.every((f) => f.worst < 1000),
        'with no frozen interval as long as the switch delay (1 s)', JSON.stringify(around));

  const [la, lb] = [await web.shareLink(alice), await web.shareLink(bob)];
  const newKey = keyOf(la);
  check(indexOf(la) === 1 && newKey.length === 43 && newKey !== oldKey,
        'Alice\'s invite link now carries a new key at index 1', la);
  check(lb === la, 'Bob\'s is the same', lb);
  const kept = await bob.evaluate((r) => sessionStorage.getItem(`bedrud.key.${r}`), room);
  check(kept === `key=${newKey}&ki=1`, 'Bob\'s tab keeps the new key', String(kept));
  await shoot(bob, 'rotation-link');

  // 3. Carol, back with her old link (opened anew: her tab is on the
  // meeting's page, where only the fragment would change)
  await carol.goto('about:blank');
  await web.joinByLink(carol, link, { guest: 'Carol', camera: false });
  const outdated = await web.waitTrue(carol, () =>
    /link is out of date.*new link/s.test(
      document.querySelector('[data-testid=key-outdated]')?.textContent ?? ''), null, 20000);
  check(outdated, 'Carol, back with the old link, is told it is out of date',
        JSON.stringify(await web.notices(carol)));
  check(/link out of date/i.test(await carol.locator('[data-testid=e2ee-status]').innerText()),
        'so does the room\'s encryption status',
        await carol.locator('[data-testid=e2ee-status]').innerText());
  check(await web.tileState(carol, 'Alice', 'outdated') && await web.tileState(carol, 'Bob', 'outdated'),
        'her tiles of Alice and Bob say so too');
  await shoot(carol, 'rotation-outdated');
  await sleep(3000);
  const carolStats = await web.decodeStats(carol);
  check(carolStats.length >= 2 && carolStats.every((s) => s.frames === 0),
        'she decodes no frame of Alice or Bob', JSON.stringify(carolStats));
  check(!/cannot decrypt with this link/i.test(await carol.locator('[data-testid=meeting]').innerText()),
        'and is not shown a generic decryption error');
  check(await web.tileState(alice, 'Carol', 'undecryptable', 20000),
        'Alice cannot decrypt Carol\'s old-key media (the old key is dropped)');
  check(await web.keepsDecoding(alice, 'Bob') && await web.keepsDecoding(bob, 'Alice'),
        'Alice and Bob still decode each other');

  // 4. Dave, with the new link
  const dave = await web.person(browser, 'Dave', t);
  await web.joinByLink(dave, la, { guest: 'Dave', camera: false });
  check(await web.seesVideoOf(dave, 'Alice') && await web.seesVideoOf(dave, 'Bob'),
        'Dave, with the new link, decodes Alice and Bob');
  check(await web.tileState(dave, 'Alice', 'encrypted') && await web.tileState(dave, 'Bob', 'encrypted'),
        'and sees them encrypted');
  check((await web.keyState(dave)).sending === 1, 'he sends with key index 1');
  check(!(await dave.locator('[data-testid=key-outdated]').count()), 'his link is not out of date');

  // 5. Bob reloads: the kept key
  await bob.reload();
  await bob.waitForSelector('[data-testid=link-key][data-state=key]', { timeout: 10000 });
  await bob.fill('#guest input[name=guestName]', 'Bob');
  await bob.click('#guest button[type=submit]');
  check(await web.connected(bob) && await web.seesVideoOf(bob, 'Alice'),
        'Bob, reloaded, joins with the kept key and decodes Alice');
  check(await web.seesVideoOf(alice, 'Bob'), 'and Alice decodes him');

  // 6. a removal through the API, by a superadmin who is not in the meeting
  if (!admin) {
    check(false, 'ADMIN_TOKEN given');
  } else {
    const api = async (method, path) => {
      const r = await fetch(`${base}${path}`, { method,
        headers: { Authorization: `Bearer ${admin}` } });
      return { status: r.status, body: await r.json().catch(() => ({})) };
    };
    const rooms = await api('GET', '/api/admin/rooms?limit=100');
    const list = rooms.body.rooms ?? rooms.body.data ?? rooms.body;
    const id = (Array.isArray(list) ? list : []).find((r) => r.name === room)?.id;
    const daveId = await alice.getAttribute(
      '[data-testid=tile][data-local=false][data-name=Dave]', 'data-identity');
    const kick = await api('POST', `/api/admin/rooms/${id}/participants/${daveId}/kick`);
    check(kick.status === 200, 'the superadmin removes Dave through the API', JSON.stringify(kick));
    check(await web.sendsWithIndex(alice, 2) && await web.sendsWithIndex(bob, 2),
          'the owner\'s client rotates to key index 2, Bob follows',
          JSON.stringify([await web.keyState(alice), await web.keyState(bob)]));
    check(await web.keepsDecoding(alice, 'Bob') && await web.keepsDecoding(bob, 'Alice'),
          'and they still decode each other');
    const l2 = await web.shareLink(bob);
    check(indexOf(l2) === 2 && keyOf(l2) !== newKey, 'the link has changed again', l2);
    info('key2', keyOf(l2));
  }

  // 7. no key in any request
  for (const page of [alice, bob, carol, dave]) {
    const leak = page.requests.filter((r) => r.includes(oldKey) || r.includes(newKey));
    check(leak.length === 0, `${page.who}'s requests hold neither key`, leak.join(' | '));
  }
  await web.openPanel(alice, 'people');
  check(t.problems.length === 0, 'no CSP violation or page error', t.problems.join(' | '));
  console.log(`room ${room} key ${oldKey}`);
  console.log(`other key ${newKey}`);
} catch (e) {
  check(false, 'the browser run', e.stack ?? String(e));
} finally {
  await browser.close();
}

process.exit(t.failed ? 1 : 0);
