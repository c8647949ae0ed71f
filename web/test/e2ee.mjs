// The web client's end-to-end encryption in Debian's chromium
// (playwright-core, fake camera and microphone), against nginx + the
// module + LiveKit on loopback, run by t/910-web-e2ee.t, and by
// t/920-https-turn.t over HTTPS with nothing but TURN relays:
//
//   1. Alice signs up and creates an E2EE room: its link (from the invite
//      panel) carries #key=, and the address bar no longer does.
//   2. Bob opens the link, signs up on the meeting page and joins: each
//      decodes the other's video and sees the other as encrypted; the
//      server removes nobody (LiveKit saw encrypted tracks).
//   3. Carol opens the link with another key and joins as a guest (the
//      room lets guests in): she decodes nothing and is told, by name,
//      whom she cannot decrypt; the others see her by her name.
//   4. Alice and Bob chat (text streams, encrypted with the same key);
//      Carol receives none of it.
//   5. Bob turns his camera off and on: Alice sees it.
//   6. With E2EE_RELAY: each one's media went through relays of the
//      kind asked for only (relay.mjs).
//
// Prints one line per check ("ok ..." / "not ok ...") and the room's
// name and key ("room <name> key <key>") for the caller's own checks of
// logs and Redis; exits 1 if any check failed.
//
// Usage: node e2ee.mjs <base url>     (CHROMIUM: the browser binary;
// E2EE_RELAY, E2EE_TURNS_PORT: relays only, see relay.mjs)

import * as web from './lib.mjs';
import { relayChecks } from './relay.mjs';

const base = process.argv[2];
const t = web.checker();
const { check } = t;
const browser = await web.launch();

const roomStatus = (page) => page.evaluate(() => {
  const m = document.querySelector('[data-testid=meeting]');
  const s = document.querySelector('[data-testid=e2ee-status]');
  return { connection: m?.dataset.connection, e2ee: s?.dataset.state, text: s?.textContent,
           ended: document.querySelector('[data-testid=ended]')?.textContent ?? '' };
});

try {
  // 1. Alice
  const alice = await web.person(browser, 'Alice', t);
  await web.signUp(alice, base, 'Alice');
  await alice.click('[data-testid=new-room]');
  await alice.waitForSelector('#create');
  check(await alice.isChecked('#create input[name=e2ee]'),
        'new meetings are end-to-end encrypted by default');
  const { room, link, key } = await web.createRoom(alice, { e2ee: true, guests: true });
  check(key.length === 43, 'the link carries a 32-byte key', link);
  check(!alice.url().includes('#') && !alice.url().includes(key),
        'the key is gone from the address bar', alice.url());
  check((await roomStatus(alice)).e2ee === 'encrypted', 'Alice\'s meeting says it is encrypted',
        JSON.stringify(await roomStatus(alice)));

  // 2. Bob, with the same link, signs up on the meeting page
  const bob = await web.person(browser, 'Bob', t);
  await web.joinByLink(bob, link, { account: 'Bob' });
  check(true, 'Bob is connected');

  check(await web.seesVideoOf(alice, 'Bob'), 'Alice decodes Bob\'s video');
  check(await web.seesVideoOf(bob, 'Alice'), 'Bob decodes Alice\'s video');
  check(await web.keepsDecoding(alice, 'Bob'), 'Alice keeps decoding',
        JSON.stringify(await web.decodeStats(alice)));
  check(await web.tileState(alice, 'Bob', 'encrypted'), 'Alice sees Bob as encrypted');
  check(await web.tileState(bob, 'Alice', 'encrypted'), 'Bob sees Alice as encrypted');

  // 3. Carol, a guest (no account), with another key
  const carol = await web.person(browser, 'Carol', t);
  const other = 'A'.repeat(42) + 'w';
  await web.joinByLink(carol, link.replace(/#key=.*$/, `#key=${other}`), { guest: 'Carol' });
  const told = await web.tileState(carol, 'Alice', 'undecryptable', 20000)
    && await web.tileState(carol, 'Bob', 'undecryptable', 20000);
  check(told, 'Carol, with another key, is told by name whom she cannot decrypt',
        JSON.stringify(await web.decodeStats(carol)));
  const carolStatus = await roomStatus(carol);
  check(carolStatus.e2ee === 'problem', 'and her meeting shows an encryption problem',
        JSON.stringify(carolStatus));
  check(!(await web.keepsDecoding(carol, 'Alice')), 'Carol decodes no video of Alice',
        JSON.stringify(await web.decodeStats(carol)));
  check(!(await web.keepsDecoding(carol, 'Bob', { ms: 1000 })), 'nor of Bob');

  const named = await web.waitTrue(alice, () =>
    [...document.querySelectorAll('[data-testid=tile]')].some((x) => x.dataset.name === 'Carol'));
  check(named, 'Alice sees the guest by her name');
  check(await web.tileState(alice, 'Carol', 'undecryptable'),
        'and is told that she cannot decrypt Carol, by name');

  // 4. chat: encrypted with the room key, so Carol gets nothing
  const secret = `hello ${web.run}`;
  await web.sendChat(alice, secret);
  await web.openPanel(carol, 'chat');
  check(await web.chatHas(bob, `Alice ${secret}`), 'Bob reads Alice\'s chat message');
  check(!(await web.chatHas(carol, secret, 3000)), 'Carol, with another key, does not');
  await web.sendChat(bob, `re ${secret}`);
  check(await web.chatHas(alice, `Bob re ${secret}`), 'Alice reads Bob\'s answer');

  // 5. Bob turns his camera off, then on: Alice's view follows
  const bobCam = (state) => web.waitTrue(alice, (st) =>
    [...document.querySelectorAll('[data-testid=tile][data-source=camera]')]
      .some((x) => x.dataset.name === 'Bob' && x.dataset.camera === st), state, 10000);
  await bob.click('[data-testid=toggle-camera]');
  check(await bobCam('off'), 'Bob turns his camera off; Alice sees it off');
  await bob.click('[data-testid=toggle-camera]');
  check(await bobCam('on'), 'and on again');

  // one camera tile per person, one of them local
  for (const [page, who] of [[alice, 'Alice'], [bob, 'Bob'], [carol, 'Carol']]) {
    const ok = await web.waitTrue(page, () =>
      document.querySelectorAll('[data-testid=tile][data-source=camera]').length === 3
        && document.querySelectorAll('[data-testid=tile][data-local=true]').length === 1);
    check(ok, `${who} shows three tiles, one local`, JSON.stringify(await web.decodeStats(page)));
  }

  // an access token that no longer works is refreshed from the cookie
  const fresh = await web.person(browser, 'Alice again', t);
  await fresh.context().addCookies(await alice.context().cookies());
  await fresh.goto(`${base}/`);
  await fresh.evaluate(() => sessionStorage.setItem('bedrud.access', 'not-a-token'));
  await fresh.goto(`${base}/`);
  const who = await web.waitTrue(fresh,
    () => /Alice/.test(document.getElementById('who')?.textContent ?? ''), null, 10000);
  const stored = await fresh.evaluate(() => sessionStorage.getItem('bedrud.access'));
  check(who && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(stored ?? ''),
        'a bad access token is replaced through the refresh cookie', String(stored));

  // nobody was removed: Alice and Bob still connected, encrypted
  for (const [page, who] of [[alice, 'Alice'], [bob, 'Bob']]) {
    const s = await roomStatus(page);
    check(s.connection === 'connected' && !s.ended, `${who} was not removed by the server`,
          JSON.stringify(s));
  }

  // nothing any page sent holds the key (requests, bodies, WebSocket frames)
  for (const [page, k] of [[alice, key], [bob, key], [carol, other]]) {
    const leak = page.requests.filter((r) => r.includes(k));
    check(leak.length === 0, `${page.who}'s key is in none of its requests`, leak.join(' | '));
  }

  // over TURN only when E2EE_RELAY says so (t/920): what each one used
  await relayChecks([alice, bob, carol, fresh].map((page) =>
    ({ page, who: page.who, kind: page.relay })), check);

  check(t.problems.length === 0, 'no CSP violation or page error', t.problems.join(' | '));
  console.log(`room ${room} key ${key}`);
  console.log(`other key ${other}`);
} catch (e) {
  check(false, 'the browser run', e.stack ?? String(e));
} finally {
  await browser.close();
}

process.exit(t.failed ? 1 : 0);
