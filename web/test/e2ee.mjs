// The web client in Debian's chromium (playwright-core, fake camera and
// microphone), against nginx + the module + LiveKit on loopback, run by
// t/910-web-e2ee.t:
//
//   1. Alice signs up and creates an E2EE room: her link carries #key=.
//   2. Bob opens the link, signs up, joins: each decodes the other's video,
//      both see the other as encrypted, and the server removes nobody
//      (LiveKit saw encrypted tracks).
//   3. Carol opens the link with another key and joins as a guest (the
//      room lets guests in): she cannot decrypt them (LiveKit's
//      EncryptionError, no frame decoded) and is told so.
//
//   4. Alice and Bob chat (text streams, encrypted with the same key);
//      Carol receives none of it.
//
// Prints one line per check ("ok ..." / "not ok ...") and the room's
// name and key ("room <name> key <key>") for the caller's own checks;
// exits 1 if any check failed.
//
// Usage: node e2ee.mjs <base url>     (CHROMIUM: the browser binary;
// E2EE_RELAY, E2EE_TURNS_PORT: relays only, see relay.mjs)

import { launch } from './chromium.mjs';
import { relayOnly, relayChecks } from './relay.mjs';

const base = process.argv[2];
const n = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
let failed = 0;

function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}${!ok && detail ? `: ${detail}` : ''}`);
  if (!ok) failed++;
}

const browser = await launch();

const problems = [];
const navigations = [];
const people = [];

async function person(name) {
  const ctx = await browser.newContext();
  people.push({ who: name, kind: await relayOnly(ctx) });
  const page = await ctx.newPage();
  people.at(-1).page = page;
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) {
      problems.push(`${name}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
  page.on('crash', () => problems.push(`${name}: the page crashed`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations.push(`${name} ${f.url()}`);
  });
  return page;
}

async function signUp(page, name) {
  await page.waitForSelector('#register');
  await page.fill('#register input[name=name]', name);
  await page.fill('#register input[name=email]', `${name.toLowerCase()}-${n}@example.com`);
  await page.fill('#register input[name=password]', 'correct horse battery');
  await page.click('#register button[type=submit]');
}

const status = (page) => page.evaluate(() => {
  const s = document.getElementById('status');
  return s ? { kind: s.dataset.kind ?? '', text: s.textContent ?? '' } : null;
});

async function connected(page, who) {
  try {
    await page.waitForFunction(
      () => document.getElementById('status')?.dataset.kind === 'ok',
      null, { timeout: 30000 });
    check(true, `${who} is connected`);
  } catch {
    check(false, `${who} is connected`, JSON.stringify(await status(page)));
  }
}

// a remote <video> showing decoded camera frames (not the SFU's tiny
// blank key frames, which pass unencrypted by design)
const seesVideo = (page, timeout) => page.waitForFunction(() => {
  const vids = [...document.querySelectorAll('.tile:not(.local) video')];
  return vids.some((v) => v.videoWidth >= 160
    && v.getVideoPlaybackQuality().totalVideoFrames > 10);
}, null, { timeout }).then(() => true, () => false);

const videos = (page) => page.evaluate(() =>
  [...document.querySelectorAll('.tile video')].map((v) =>
    `${v.closest('.tile').className}:${v.closest('.tile').dataset.identity.slice(0, 8)}`
    + ` ${v.dataset.source} ${v.videoWidth}x${v.videoHeight}`
    + ` frames=${v.getVideoPlaybackQuality().totalVideoFrames}`)
    .join(', '));

// whether remote video keeps being decoded: frames counted twice, 3 s
// apart (a wrong key drops every frame; what the decoder made of the odd
// ciphertext before the receiver knew the track was encrypted stays put)
async function framesFlow(page) {
  const count = () => page.evaluate(() =>
    [...document.querySelectorAll('.tile:not(.local) video')].reduce(
      (n, v) => n + v.getVideoPlaybackQuality().totalVideoFrames, 0));
  const before = await count();
  await page.waitForTimeout(3000);
  return (await count()) > before + 10;
}

try {
  // 1. Alice
  const alice = await person('Alice');
  await alice.goto(`${base}/`);
  await signUp(alice, 'Alice');
  await alice.waitForSelector('#create');
  const e2eeBox = await alice.isChecked('#create input[name=e2ee]');
  check(e2eeBox, 'new meetings are end-to-end encrypted by default');
  await alice.check('#create input[name=guests]');
  await alice.fill('#create input[name=room]', `web-${n}`);
  await alice.click('#create button[type=submit]');
  await alice.waitForURL(/\/r\/.+#key=/, { timeout: 10000 });
  const link = alice.url();
  const key = /#key=([A-Za-z0-9_-]+)$/.exec(link)?.[1] ?? '';
  check(key.length === 43, 'the link carries a 32-byte key', link);
  await connected(alice, 'Alice');

  // 2. Bob, with the same link
  const bob = await person('Bob');
  await bob.goto(link);
  await signUp(bob, 'Bob');
  await connected(bob, 'Bob');

  check(await seesVideo(alice, 30000), 'Alice decodes Bob\'s video');
  check(await seesVideo(bob, 30000), 'Bob decodes Alice\'s video');
  check(await framesFlow(alice), 'Alice keeps decoding', await videos(alice));
  for (const [page, who] of [[alice, 'Alice'], [bob, 'Bob']]) {
    const enc = await page.waitForFunction(
      () => document.querySelector('.tile:not(.local)[data-encrypted="true"]'),
      null, { timeout: 10000 }).then(() => true, () => false);
    check(enc, `${who} sees the other as encrypted`);
  }

  // 3. Carol, a guest (no account), with another key
  const carol = await person('Carol');
  const other = 'A'.repeat(42) + 'w';
  await carol.goto(link.replace(/#key=.*$/, `#key=${other}`));
  await carol.waitForSelector('#guest');
  await carol.fill('#guest input[name=guestName]', 'Carol');
  await carol.click('#guest button[type=submit]');
  await carol.waitForFunction(
    () => document.querySelector('.tile:not(.local)'), null, { timeout: 30000 })
    .catch(() => {});
  const err = await carol.waitForFunction(
    () => /Cannot decrypt/.test(document.getElementById('status')?.textContent ?? ''),
    null, { timeout: 20000 }).then(() => true, () => false);
  check(err, 'Carol, with another key, is told she cannot decrypt',
        JSON.stringify(await status(carol)));
  check(!(await framesFlow(carol)), 'Carol decodes no video',
        await videos(carol));

  const named = await alice.waitForFunction(() =>
    [...document.querySelectorAll('.tile figcaption')]
      .some((c) => c.textContent === 'Carol'), null, { timeout: 15000 })
    .then(() => true, () => false);
  check(named, 'Alice sees the guest by her name');

  // chat: encrypted with the room key, so Carol gets nothing
  const secret = `hello ${n}`;
  const inLog = (page, text, timeout) => page.waitForFunction(
    (t) => [...document.querySelectorAll('#chat-log li')]
      .some((li) => li.textContent.includes(t)), text, { timeout })
    .then(() => true, () => false);
  await alice.fill('#chat input[name=text]', secret);
  await alice.click('#chat button[type=submit]');
  check(await inLog(bob, `Alice ${secret}`, 15000), 'Bob reads Alice\'s chat message');
  check(!(await inLog(carol, secret, 3000)), 'Carol, with another key, does not');
  await bob.fill('#chat input[name=text]', `re ${secret}`);
  await bob.click('#chat button[type=submit]');
  check(await inLog(alice, `Bob re ${secret}`, 15000), 'Alice reads Bob\'s answer');

  // Bob turns his camera off, then on: Alice's view follows
  const bobCam = (state) => alice.waitForFunction((st) =>
    [...document.querySelectorAll('.tile:not(.local)')]
      .some((t) => t.querySelector('figcaption')?.textContent === 'Bob'
                   && t.dataset.camera === st), state, { timeout: 10000 })
    .then(() => true, () => false);
  await bob.click('#camera');
  check(await bobCam('off'), 'Bob turns his camera off; Alice sees it off');
  await bob.click('#camera');
  check(await bobCam('on'), 'and on again');

  // one tile per person, one of them local
  for (const [page, who] of [[alice, 'Alice'], [bob, 'Bob'], [carol, 'Carol']]) {
    const ok = await page.waitForFunction(() =>
      document.querySelectorAll('.tile').length === 3
        && document.querySelectorAll('.tile.local').length === 1,
      null, { timeout: 15000 }).then(() => true, () => false);
    check(ok, `${who} shows three tiles, one local`, await videos(page));
  }

  // an access token that no longer works is refreshed from the cookie
  const fresh = await person('Alice again');
  await fresh.context().addCookies(await alice.context().cookies());
  await fresh.goto(`${base}/`);
  await fresh.evaluate(() => sessionStorage.setItem('bedrud.access', 'not-a-token'));
  await fresh.goto(`${base}/`);
  const who = await fresh.waitForFunction(
    () => /Alice/.test(document.getElementById('who')?.textContent ?? ''),
    null, { timeout: 10000 }).then(() => true, () => false);
  const stored = await fresh.evaluate(() => sessionStorage.getItem('bedrud.access'));
  check(who && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(stored ?? ''),
        'a bad access token is replaced through the refresh cookie', String(stored));

  // nobody was removed: Alice and Bob still connected, encrypted
  for (const [page, who] of [[alice, 'Alice'], [bob, 'Bob']]) {
    const s = await status(page);
    check(!/removed/.test(s?.text ?? ''), `${who} was not removed by the server`,
          JSON.stringify(s));
  }

  await relayChecks(people, check);
  check(problems.length === 0, 'no CSP violation or page error', problems.join(' | '));
  if (process.env.DEBUG_E2E) console.log(navigations.join('\n'));
  console.log(`room web-${n} key ${key}`);
} catch (e) {
  check(false, 'the browser run', e.stack ?? String(e));
} finally {
  await browser.close();
}

process.exit(failed ? 1 : 0);
