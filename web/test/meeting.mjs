// The meeting room as a person uses it, in Debian's chromium
// (playwright-core, fake camera, microphone and screen), against nginx +
// the module + LiveKit on loopback, run by t/911-web-meeting.t. Alice
// (desktop, signed up, the owner) and Bob (a guest on a phone-sized
// screen) meet in an E2EE room:
//
//   inviting: Copy link (the clipboard holds the link, a confirmation is
//     shown) and the QR code (its pixels decode back to the link); the key
//     is gone from the address bar, a reload of the tab keeps it, a link
//     without the key asks for it and does not join, a browser without
//     E2EE is refused;
//   the room: the people list and its count, choosing microphone, camera
//     and speaker, the speaker layout, a screen share decoded by the
//     other side as encrypted, an image in the chat through LiveKit's
//     encrypted byte streams (never the upload route);
//   Share (the Web Share API where the browser has it, none where not);
//   a network drop: the offline/reconnecting banner, then the meeting again;
//   moderation: MODERATION below, one entry per action, each seen by its
//     target: a system message, ban and unban, mute, camera off, promote
//     and demote (kick: t/912-web-rotation.t).
//
// Prints "ok ..." / "not ok ..." lines and "room <name> key <key>";
// exits 1 if a check failed. SCREENSHOTS=<dir> keeps screenshots of the
// meeting at desktop (1280x800) and phone (390x844) size.
//
// Usage: node meeting.mjs <base url>     (CHROMIUM: the browser binary)

import { mkdirSync } from 'node:fs';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import * as web from './lib.mjs';

const base = process.argv[2];
const shots = process.env.SCREENSHOTS;
const t = web.checker();
const { check } = t;
const browser = await web.launch();
const PHONE = { width: 390, height: 844 };

if (shots) mkdirSync(shots, { recursive: true });
const shot = async (page, name) => {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png` });
};

// LiveKit's device menu of `kind`: its entries, and the active one after
// picking `label` (if given)
async function pickDevice(page, kind, label) {
  const button = page.locator(`[data-testid=menu-${kind}]`);
  const menu = page.locator(`[data-testid=menu-${kind}] + .lk-device-menu`);
  if (await button.getAttribute('aria-pressed') !== 'true') await button.click();
  await menu.locator('li').first().waitFor({ state: 'visible', timeout: 5000 });
  // the list fills in once the devices are enumerated
  await page.waitForFunction((k) => [...document.querySelectorAll(
    `[data-testid=menu-${k}] + .lk-device-menu li`)].some((li) => li.textContent.trim()),
  kind, { timeout: 5000 }).catch(() => {});
  const labels = await menu.locator('li').allTextContents();
  if (label) {
    await menu.locator('li', { hasText: label }).first().locator('button').click();
    await page.waitForTimeout(1000);
  }
  const active = await menu.locator('li[data-lk-active=true]').allTextContents();
  if (await button.getAttribute('aria-pressed') === 'true') await button.click();
  return { labels, active: active.join('|') };
}

// One entry per moderation action: what Alice does to Bob, and what Bob
// (or anyone) then sees. `run` returns [ok, detail].
const lk = process.env.LIVEKIT_API && { api: process.env.LIVEKIT_API,
  key: process.env.LIVEKIT_KEY, secret: process.env.LIVEKIT_SECRET };

// `name`'s microphone or camera as `page`'s people list shows it
const rowIs = (what) => async (page, name, state) => {
  await web.openPanel(page, 'people');
  return web.waitTrue(page, ([n, w, st]) => document.querySelector(
    `[data-testid=person][data-name="${n}"]`)?.dataset[w] === st, [name, what, state], 10000);
};
const micOf = rowIs('mic');
const cameraOf = rowIs('camera');

const MODERATION = [
  {
    // what the module sends with its moderation routes (bedrud-api.md §6)
    name: 'a system message from the server, targeted, is shown to its target',
    async run({ alice, bob, room }) {
      if (!lk) return [false, 'LIVEKIT_API, LIVEKIT_KEY, LIVEKIT_SECRET not given'];
      // Bob's identity as his own page knows it (a rejoin makes a new one)
      const bobId = await bob.getAttribute('[data-testid=tile][data-local=true][data-source=camera]',
                                           'data-identity');
      await web.serverSendData(lk, room, { type: 'system', event: 'ask_unmute',
                                           actor: 'x', target: bobId }, { to: [bobId] });
      const shown = await web.waitTrue(bob, () => [...document.querySelectorAll('[data-testid=notice]')]
        .some((n) => /asks you to unmute/.test(n.textContent)), null, 10000);
      // a broadcast about Bob reaches Alice, in words, by his name
      await web.serverSendData(lk, room, { type: 'system', event: 'spotlight',
                                           actor: 'x', target: bobId });
      const named = await web.waitTrue(alice, () => [...document.querySelectorAll('[data-testid=notice]')]
        .some((n) => /Bob is in the spotlight/.test(n.textContent)), null, 10000);
      return [shown && named, JSON.stringify([await web.notices(bob), await web.notices(alice)])];
    },
  },
  {
    name: 'ban, seen by the guest, then unban from the ban list',
    async run({ alice, bob, link }) {
      await web.moderate(alice, 'Bob', 'ban');
      const ended = await web.waitTrue(bob, () =>
        /moderator (removed|banned) you/.test(
          document.querySelector('[data-testid=ended]')?.textContent ?? ''), null, 15000);
      if (!ended) return [false, 'Bob is not told he was removed'];
      // trying again: the server says why
      await bob.click('[data-testid=ended] button.primary');
      await bob.fill('#guest input[name=guestName]', 'Bob');
      await bob.click('#guest button[type=submit]');
      const banned = await web.waitTrue(bob, () =>
        /banned from this room/i.test(
          document.querySelector('[data-testid=refused]')?.textContent ?? ''), null, 10000);
      if (!banned) return [false, 'Bob\'s second try is not refused as banned'];
      // Alice's ban list names him; she lifts the ban
      await web.openPanel(alice, 'people');
      const listed = await web.waitTrue(alice, () =>
        [...document.querySelectorAll('[data-testid=ban]')]
          .some((b) => b.textContent.includes('Bob')), null, 10000);
      if (!listed) return [false, 'the ban list does not show Bob'];
      await alice.locator('[data-testid=ban]', { hasText: 'Bob' })
        .locator('[data-testid=unban]').click();
      const lifted = await web.waitTrue(alice, () =>
        document.querySelectorAll('[data-testid=ban]').length === 0, null, 10000);
      if (!lifted) return [false, 'the ban list still shows Bob after Unban'];
      await bob.click('[data-testid=refused] button');
      // the ban changed the room key (issue 9): Bob needs Alice's new link
      const fresh = await web.shareLink(alice);
      if (fresh === link || !/&ki=1$/.test(fresh)) return [false, `the link did not change: ${fresh}`];
      await web.joinByLink(bob, fresh, { guest: 'Bob' });
      const sees = await web.seesVideoOf(bob, 'Alice');
      if (!sees) await shot(bob, 'phone-after-ban');
      return [sees, `Bob, unbanned, with the new link, sees Alice again ${JSON.stringify({
        bob: await web.keyState(bob), alice: await web.keyState(alice),
        stats: await web.decodeStats(bob), notices: await web.notices(bob) })}`];
    },
  },
  {
    name: 'mute: the target\'s microphone goes off, on his page (told why) and on hers',
    async run({ alice, bob }) {
      if (!(await micOf(alice, 'Bob', 'on'))) return [false, 'Bob\'s microphone is not on to begin with'];
      await web.moderate(alice, 'Bob', 'mute');
      const told = await web.waitTrue(bob, () => [...document.querySelectorAll('[data-testid=notice]')]
        .some((n) => /moderator muted your microphone/.test(n.textContent)), null, 10000);
      const own = await micOf(bob, 'Bob', 'off');
      const seen = await micOf(alice, 'Bob', 'off');
      return [told && own && seen, JSON.stringify({ told, own, seen, bob: await web.notices(bob) })];
    },
  },
  {
    name: 'camera off: the target\'s camera goes off, on his page (told why) and on hers',
    async run({ alice, bob }) {
      if (!(await cameraOf(alice, 'Bob', 'on'))) return [false, 'Bob\'s camera is not on to begin with'];
      await web.moderate(alice, 'Bob', 'video-off');
      const told = await web.waitTrue(bob, () => [...document.querySelectorAll('[data-testid=notice]')]
        .some((n) => /moderator turned your camera off/.test(n.textContent)), null, 10000);
      const own = await cameraOf(bob, 'Bob', 'off');
      const seen = await cameraOf(alice, 'Bob', 'off');
      return [told && own && seen, JSON.stringify({ told, own, seen, bob: await web.notices(bob) })];
    },
  },
  {
    name: 'promote, then demote: the target\'s page shows the role and gains, then loses, the moderation menu',
    async run({ alice, bob }) {
      const role = (page, on) => web.waitTrue(page, (want) => {
        const row = document.querySelector('[data-testid=person][data-name=Bob]');
        const tagged = [...(row?.querySelectorAll('.tag') ?? [])]
          .some((x) => x.textContent === 'moderator');
        return !!row && tagged === want;
      }, on, 10000);
      // his menu on Alice's row: what a moderator may do to others
      const menu = (on) => web.waitTrue(bob, (want) => !!document.querySelector(
        '[data-testid=person][data-name=Alice] [data-testid=mod-menu]') === want, on, 10000);
      await web.openPanel(bob, 'people');
      const before = await menu(false);
      await web.moderate(alice, 'Bob', 'promote');
      const up = [await role(bob, true), await role(alice, true), await menu(true)];
      await web.moderate(alice, 'Bob', 'demote');
      const down = [await role(bob, false), await role(alice, false), await menu(false)];
      return [before && up.every(Boolean) && down.every(Boolean),
              JSON.stringify({ before, up, down })];
    },
  },
];

try {
  const alice = await web.person(browser, 'Alice', t);
  await web.signUp(alice, base, 'Alice');
  const { room, link, key } = await web.createRoom(alice, { e2ee: true, guests: true });
  check(key.length === 43, 'the invite panel shows the link with its key', link);
  check(!alice.url().includes(key) && !alice.url().includes('#'),
        'the key is gone from the address bar', alice.url());
  const kept = await alice.evaluate((r) => sessionStorage.getItem(`bedrud.key.${r}`), room);
  check(kept === `key=${key}`, 'and kept in this tab\'s sessionStorage', String(kept));

  // Copy link: the clipboard has it, and the page says so
  await alice.click('[data-testid=copy-link]');
  const copied = await web.waitTrue(alice, () =>
    /copied/i.test(document.querySelector('[data-testid=copy-status]')?.textContent ?? ''));
  check(copied, 'Copy link shows a confirmation');
  const clip = await alice.evaluate(() => navigator.clipboard.readText());
  check(clip === link, 'the clipboard holds the link', clip);

  // the QR code, as drawn, decodes to the link
  const png = PNG.sync.read(await alice.locator('[data-testid=share-qr]').screenshot());
  const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  check(qr?.data === link, 'the QR code decodes to the link', qr?.data ?? 'no QR found');
  await shot(alice, 'desktop-invite');

  // Share: this chromium has no Web Share API, so the page offers no
  // Share button (Copy and the QR code remain)
  check(!(await alice.locator('[data-testid=share-link-native]').count()),
        'without the Web Share API there is no Share button');

  // Bob, a guest, on a phone, with the link. His phone has the Web Share
  // API (as Chrome on Android): what he shares is what the system's share
  // sheet would get, kept here since no sheet can be driven
  const bob = await web.person(browser, 'Bob', t, { viewport: PHONE });
  await bob.context().addInitScript(() => {
    window.__shared = [];
    navigator.share = async (data) => { window.__shared.push(data); };
    navigator.canShare = (data) => !!data && typeof data.url === 'string';
  });
  await web.joinByLink(bob, link, { guest: 'Bob' });
  await web.openPanel(bob, 'share');
  await bob.click('[data-testid=share-link-native]');
  const shared = await bob.evaluate(() => window.__shared);
  check(shared.length === 1 && shared[0].url === link && shared[0].title.includes(room),
        'Bob\'s Share… hands the meeting link, with its key, to the share sheet',
        JSON.stringify(shared));
  await shot(bob, 'phone-share');
  await bob.click('.side-panel .close');
  check(!bob.url().includes(key), 'Bob\'s address bar has no key either', bob.url());
  check(await web.seesVideoOf(alice, 'Bob'), 'Alice decodes Bob\'s camera');
  check(await web.seesVideoOf(bob, 'Alice'), 'Bob decodes Alice\'s camera');

  // Bob's network drops for ten seconds (the browser goes offline, as on
  // a train): his page says so at once; back online, the banner goes
  // (after LiveKit's own "reconnecting", if it resumes its connection)
  // and both decode each other again
  await bob.evaluate(() => {
    window.__banner = [];
    const look = () => {
      const b = document.querySelector('[data-testid=reconnecting]');
      const last = window.__banner.at(-1);
      const now = b ? b.textContent : '';
      if (!last || last[1] !== now) window.__banner.push([Date.now(), now]);
    };
    new MutationObserver(look).observe(document.body,
                                       { childList: true, subtree: true, characterData: true });
    look();
  });
  // (livekit-client checks the network for up to 4 s after the browser
  // says it is offline, then reconnects when it is back online)
  const offAt = Date.now();
  await bob.context().setOffline(true);
  await new Promise((r) => setTimeout(r, 2000));
  await shot(bob, 'phone-offline');
  await new Promise((r) => setTimeout(r, 8000));
  await bob.context().setOffline(false);
  await new Promise((r) => setTimeout(r, 1000));
  // (LiveKit may resume its connection then: "Connection lost, reconnecting…")
  const reconnected = await web.waitTrue(bob, () => !document.querySelector(
    '[data-testid=reconnecting]') && document.querySelector('[data-testid=meeting]')
    ?.dataset.connection === 'connected', null, 30000);
  const banner = (await bob.evaluate(() => window.__banner))
    .map(([at, text]) => [at - offAt, text]);
  console.log(`reconnect banner (ms after going offline, text): ${JSON.stringify(banner)}`);
  check(banner.some(([at, text]) => at < 2000 && /offline/i.test(text)),
        'Bob, offline, is told so at once', JSON.stringify(banner));
  check(reconnected, 'back online, the banner goes and he is connected',
        JSON.stringify(banner));
  check(await web.keepsDecoding(bob, 'Alice') && await web.keepsDecoding(alice, 'Bob'),
        'after which they decode each other again');

  // a reload of Bob's tab keeps the key (sessionStorage): he joins again
  await bob.reload();
  await bob.waitForSelector('[data-testid=link-key][data-state=key]', { timeout: 10000 })
    .catch(() => {});
  await bob.fill('#guest input[name=guestName]', 'Bob');
  await bob.click('#guest button[type=submit]');
  check(await web.connected(bob) && await web.seesVideoOf(bob, 'Alice'),
        'after a reload Bob joins again with the kept key');
  check(await web.seesVideoOf(alice, 'Bob'), 'and Alice decodes his camera again');

  // the people list
  await alice.click('.side-panel .close');
  await web.openPanel(alice, 'people');
  const people = await web.waitTrue(alice, () => {
    const names = [...document.querySelectorAll('[data-testid=person]')].map((p) => p.dataset.name);
    return names.length === 2 && names.includes('Alice') && names.includes('Bob')
      && /\(2\)/.test(document.querySelector('[data-testid=people-count]')?.textContent ?? '');
  });
  check(people, 'the people list shows Alice and Bob, count 2',
        JSON.stringify(await alice.locator('[data-testid=person]').allInnerTexts()));
  const bobRow = alice.locator('[data-testid=person][data-name=Bob]');
  check(await bobRow.getAttribute('data-mic') === 'on'
        && /Encrypted/.test(await bobRow.locator('[data-testid=e2ee-mark]').getAttribute('title') ?? ''),
        'Bob\'s row: microphone on, encrypted');
  await shot(alice, 'desktop-people');

  // every control has a name; the moderation menu works from the keyboard
  const unnamed = await alice.evaluate(() =>
    [...document.querySelectorAll('[data-testid=meeting] button, [data-testid=meeting] input')]
      .filter((b) => !(b.getAttribute('aria-label') || b.textContent.trim()
                       || (b.id && document.querySelector(`label[for="${b.id}"]`))
                       || b.closest('label')))
      .map((b) => b.outerHTML.slice(0, 80)));
  check(unnamed.length === 0, 'every button and field of the meeting is labelled',
        unnamed.join(' | '));
  await alice.focus('[data-testid=person][data-name=Bob] [data-testid=mod-menu]');
  await alice.keyboard.press('Enter');
  const focused = await web.waitTrue(alice, () =>
    document.activeElement?.getAttribute('role') === 'menuitem', null, 5000);
  await alice.keyboard.press('ArrowDown');
  await alice.keyboard.press('Escape');
  const back = await web.waitTrue(alice, () =>
    document.activeElement?.dataset.testid === 'mod-menu'
      && !document.querySelector('[role=menu]'), null, 5000);
  check(focused && back, 'the moderation menu opens, moves and closes with the keyboard');

  // device choice: microphone, camera, speaker
  const mic = await pickDevice(alice, 'audioinput', 'Fake Audio Input 1');
  check(mic.labels.length >= 2 && mic.active === 'Fake Audio Input 1',
        'Alice picks another microphone', JSON.stringify(mic));
  const cam = await pickDevice(alice, 'videoinput');
  check(cam.labels.some((l) => /fake_device_0/.test(l)), 'the camera menu lists the camera',
        JSON.stringify(cam));
  if (await alice.locator('[data-testid=menu-audiooutput]').count()) {
    const spk = await pickDevice(alice, 'audiooutput', 'Fake Audio Output 1');
    check(spk.active === 'Fake Audio Output 1', 'Alice picks another speaker', JSON.stringify(spk));
  } else {
    check(false, 'a speaker menu is offered (chromium has setSinkId)');
  }
  check(await web.keepsDecoding(bob, 'Alice'), 'Bob still decodes Alice after the switch');

  // speaker layout
  await alice.click('[data-testid=layout]');
  check(await web.waitTrue(alice, () =>
    document.querySelector('[data-testid=meeting]')?.dataset.layout === 'speaker'
      && document.querySelector('.lk-focus-layout [data-testid=tile]')),
  'the speaker layout shows one large tile');
  await alice.click('[data-testid=layout]');

  // a screen share, encrypted like the camera, decoded by Bob
  await alice.click('[data-testid=toggle-screen]');
  check(await web.seesVideoOf(bob, 'Alice', { source: 'screen_share' }),
        'Bob decodes Alice\'s screen share');
  check(await web.keepsDecoding(bob, 'Alice', { source: 'screen_share' }),
        'and keeps decoding it');
  check(await web.waitTrue(bob, () =>
    document.querySelector('[data-testid=tile][data-source=screen_share] [data-testid=e2ee-mark]')
      ?.dataset.state === 'encrypted'), 'Bob sees the screen share as encrypted');
  await shot(bob, 'phone-screenshare');
  await alice.click('[data-testid=toggle-screen]');

  // an image in the E2EE chat: LiveKit's encrypted byte stream
  const img = new PNG({ width: 64, height: 48 });
  img.data.fill(200);
  await web.openPanel(alice, 'chat');
  await alice.locator('[data-testid=chat-file]').setInputFiles(
    { name: 'dot.png', mimeType: 'image/png', buffer: PNG.sync.write(img) });
  await web.openPanel(bob, 'chat');
  check(await web.waitTrue(bob, () =>
    [...document.querySelectorAll('[data-testid=chat-image]')]
      .some((i) => i.complete && i.naturalWidth === 64 && i.src.startsWith('blob:'))),
  'Bob sees Alice\'s image from the encrypted chat');
  const uploads = [...alice.requests, ...bob.requests].filter((r) => /chat\/upload/.test(r));
  check(uploads.length === 0, 'the image never went to the upload route', uploads.join(' | '));
  await shot(bob, 'phone-chat');
  await bob.click('.side-panel .close');
  await shot(bob, 'phone-meeting');
  await shot(alice, 'desktop-chat');

  // a link without the key: asked for, not joined
  const dave = await web.person(browser, 'Dave', t);
  await dave.goto(link.replace(/#.*$/, ''));
  await dave.fill('#guest input[name=guestName]', 'Dave');
  await dave.click('#guest button[type=submit]');
  const asked = await web.waitTrue(dave, () => document.querySelector('[data-testid=needkey]'));
  check(asked && !(await dave.locator('[data-testid=meeting]').count()),
        'a link without the key asks for it and does not join');
  await dave.fill('#needkey input[name=link]', link);
  await dave.click('#needkey button[type=submit]');
  await dave.fill('#guest input[name=guestName]', 'Dave');
  await dave.click('#guest button[type=submit]');
  check(await web.connected(dave) && await web.seesVideoOf(dave, 'Alice'),
        'with the pasted link Dave joins, encrypted');
  await dave.context().close();

  // a browser without E2EE support is refused, with the reason
  const eve = await web.person(browser, 'Eve', t);
  await eve.addInitScript(() => {
    delete window.RTCRtpScriptTransform;
    if (window.RTCRtpSender) delete RTCRtpSender.prototype.createEncodedStreams;
  });
  await eve.goto(link);
  const refused = await web.waitTrue(eve, () =>
    /cannot encrypt/.test(document.querySelector('[data-testid=link-key]')?.textContent ?? ''));
  check(refused && !(await eve.locator('#guest').count()),
        'a browser without E2EE is told so and offered no way to join');
  await eve.context().close();

  // moderation
  for (const m of MODERATION) {
    try {
      const [ok, detail] = await m.run({ alice, bob, link, room });
      check(ok, `moderation: ${m.name}`, detail);
    } catch (e) {
      check(false, `moderation: ${m.name}`, e.message);
    }
  }

  for (const page of [alice, bob]) {
    const leak = page.requests.filter((r) => r.includes(key));
    check(leak.length === 0, `${page.who}'s key is in none of its requests`, leak.join(' | '));
  }
  check(t.problems.length === 0, 'no CSP violation or page error', t.problems.join(' | '));
  console.log(`room ${room} key ${key}`);
} catch (e) {
  check(false, 'the browser run', e.stack ?? String(e));
} finally {
  await browser.close();
}

process.exit(t.failed ? 1 : 0);
