// Reusable steps for driving the web client in Debian's chromium
// (playwright-core, fake camera and microphone), shared by the browser
// tests (e2ee.mjs, meeting.mjs), the benchmark (join-to-frame.mjs) and
// other scripts (bot and HTTPS/TURN tests). Only stable hooks are used:
// element ids of forms (#register, #login, #create in the dashboard's
// "New room" dialog, #guest, #chat),
// data-testid attributes and accessible labels. They are the client's
// test interface: keep them when the UI changes.
//
//   import * as web from './lib.mjs';
//   const t = web.checker();                       // ok / not ok lines
//   const browser = await web.launch();
//   const alice = await web.person(browser, 'Alice', t);
//   await web.signUp(alice, base, 'Alice');
//   const { room, link, key } = await web.createRoom(alice, { e2ee: true, guests: true });
//   const bob = await web.person(browser, 'Bob', t);
//   await web.joinByLink(bob, link, { guest: 'Bob' });   // or { account: 'Bob' }
//   await web.decodeStats(alice);   // [{ identity, name, frames, width, e2ee }]

import { createHmac } from 'node:crypto';
import { relayOnly } from './relay.mjs';

export const PASSWORD = 'correct horse battery';
export const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;

/** Prints "ok - ..." / "not ok - ...: detail" lines, counts failures. */
export function checker() {
  const t = {
    failed: 0,
    problems: [],
    check(ok, what, detail = '') {
      console.log(`${ok ? 'ok' : 'not ok'} - ${what}${!ok && detail ? `: ${detail}` : ''}`);
      if (!ok) t.failed++;
      return ok;
    },
  };
  return t;
}

export { launch } from './chromium.mjs';

/**
 * A person: a browser context of their own (cookies, sessionStorage) and
 * a page. CSP violations, page errors and crashes go to t.problems.
 * Every request URL goes to page.requests (to check that no key leaks).
 * With E2EE_RELAY set (t/920) the person may use TURN relays only, of
 * the kind in page.relay (relay.mjs); relayChecks() checks them.
 */
export async function person(browser, name, t, { viewport } = {}) {
  const ctx = await browser.newContext({
    viewport: viewport ?? { width: 1280, height: 800 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const relay = await relayOnly(ctx);
  const page = await ctx.newPage();
  page.who = name;
  page.relay = relay;
  page.requests = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) {
      t.problems.push(`${name}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => {
    // livekit-client 2.23 throws from its E2EE worker's reply when the
    // participant it concerns has left meanwhile: a race in the SDK with
    // no effect on the page (the participant is gone)
    if (/couldn't set encryption status, participant not found/.test(e.message)) return;
    t.problems.push(`${name}: ${e.message}`);
  });
  page.on('crash', () => t.problems.push(`${name}: the page crashed`));
  page.on('request', (r) => {
    page.requests.push(`${r.method()} ${r.url()} ${r.postData() ?? ''}`);
  });
  page.on('websocket', (ws) => {
    page.requests.push(`WS ${ws.url()}`);
    ws.on('framesent', (f) => page.requests.push(`WS> ${typeof f.payload === 'string'
      ? f.payload : f.payload.toString('latin1')}`));
  });
  return page;
}

export const waitTrue = (page, fn, arg, timeout = 15000) =>
  page.waitForFunction(fn, arg, { timeout }).then(() => true, () => false);

export async function signUp(page, base, name) {
  await page.goto(`${base}/`);
  await page.waitForSelector('#register');
  await page.fill('#register input[name=name]', name);
  await page.fill('#register input[name=email]', `${name.toLowerCase()}-${run}@example.com`);
  await page.fill('#register input[name=password]', PASSWORD);
  await page.click('#register button[type=submit]');
  await page.waitForSelector('[data-testid=dashboard]', { timeout: 15000 });
}

/** Signs up on a meeting page (the "Or sign in" part), then it can join. */
export async function signUpHere(page, name) {
  await page.click('[data-testid=prejoin] details summary');
  await page.fill('#register input[name=name]', name);
  await page.fill('#register input[name=email]', `${name.toLowerCase()}-${run}@example.com`);
  await page.fill('#register input[name=password]', PASSWORD);
  await page.click('#register button[type=submit]');
  await page.waitForSelector('[data-testid=join]', { timeout: 15000 });
}

/** The meeting is on screen and LiveKit is connected. */
export const connected = (page, timeout = 30000) => waitTrue(page,
  () => document.querySelector('[data-testid=meeting]')?.dataset.connection === 'connected',
  null, timeout);

/**
 * From the dashboard of a signed-in person: creates a meeting, joins it
 * and reads its link from the invite panel (the address bar no longer
 * holds the key). Returns { room, link, key } (key '' for a plain room).
 */
export async function createRoom(page, { name, e2ee = true, guests = false } = {}) {
  const room = name ?? `web-${run}-${Math.floor(Math.random() * 1e4)}`;
  // the dashboard's "New room" dialog
  await page.waitForSelector('[data-testid=new-room]');
  if (!(await page.isVisible('#create'))) await page.click('[data-testid=new-room]');
  await page.waitForSelector('#create');
  if ((await page.isChecked('#create input[name=e2ee]')) !== e2ee) {
    await page.click('#create input[name=e2ee]');
  }
  if ((await page.isChecked('#create input[name=guests]')) !== guests) {
    await page.click('#create input[name=guests]');
  }
  await page.fill('#create input[name=room]', room);
  await page.click('#create button[type=submit]');
  await page.waitForSelector('[data-testid=join]', { timeout: 15000 });
  await page.click('[data-testid=join]');
  if (!(await connected(page))) throw new Error(`${page.who} did not connect`);
  const link = await page.inputValue('[data-testid=share-link]', { timeout: 10000 });
  const key = /#key=([A-Za-z0-9_-]+)/.exec(link)?.[1] ?? '';
  return { room, link, key };
}

/**
 * Opens a meeting link and joins: { guest: 'Name' } as a guest, or
 * { account: 'Name' } signing up on the meeting page, or {} when the
 * context is signed in already. Resolves once connected (or throws).
 */
export async function joinByLink(page, link, { guest, account, camera = true,
                                               microphone = true } = {}) {
  await page.goto(link);
  await page.waitForSelector('[data-testid=prejoin]');
  if (account) await signUpHere(page, account);
  if (!camera) await page.uncheck('[data-testid=prejoin] input[name=camera]');
  if (!microphone) await page.uncheck('[data-testid=prejoin] input[name=microphone]');
  if (guest) {
    await page.fill('#guest input[name=guestName]', guest);
    await page.click('#guest button[type=submit]');
  } else {
    await page.click('[data-testid=join]');
  }
  if (!(await connected(page))) {
    const why = await page.locator('[data-testid=refused], [data-testid=needkey]')
      .allInnerTexts().catch(() => []);
    throw new Error(`${page.who} did not connect ${why.join(' ')}`);
  }
}

/**
 * What this page decodes, per remote tile: identity, name, source, the
 * video's decoded frames and width, and the tile's E2EE state.
 */
export const decodeStats = (page) => page.evaluate(() =>
  [...document.querySelectorAll('[data-testid=tile][data-local=false]')].map((t) => {
    const v = t.querySelector('video');
    const q = v?.getVideoPlaybackQuality();
    return {
      identity: t.dataset.identity,
      name: t.dataset.name,
      source: t.dataset.source,
      frames: q ? q.totalVideoFrames : 0,
      width: v ? v.videoWidth : 0,
      e2ee: t.querySelector('[data-testid=e2ee-mark]')?.dataset.state ?? '',
    };
  }));

/**
 * The tile of `name` (not the local one) shows this E2EE state:
 * 'encrypted', 'unencrypted', 'undecryptable', 'idle' (status.tsx).
 */
export const tileState = (page, name, state, timeout = 15000) => waitTrue(page, ([n, s]) =>
  [...document.querySelectorAll('[data-testid=tile][data-local=false]')]
    .some((t) => t.dataset.name === n
      && t.querySelector('[data-testid=e2ee-mark]')?.dataset.state === s), [name, state], timeout);

/** Frames decoded from `name`'s `source` (camera) keep rising for `ms`. */
export async function keepsDecoding(page, name, { source = 'camera', ms = 3000 } = {}) {
  const frames = async () => (await decodeStats(page))
    .filter((s) => s.name === name && s.source === source)
    .reduce((n, s) => n + s.frames, 0);
  const before = await frames();
  await page.waitForTimeout(ms);
  return (await frames()) > before + 10;
}

/** A remote video of `name` shows real decoded frames (not blank key frames). */
export const seesVideoOf = (page, name, { source = 'camera', timeout = 30000 } = {}) =>
  waitTrue(page, ([n, s]) =>
    [...document.querySelectorAll(`[data-testid=tile][data-local=false][data-source=${s}]`)]
      .some((t) => t.dataset.name === n && (() => {
        const v = t.querySelector('video');
        return v && v.videoWidth >= 160 && v.getVideoPlaybackQuality().totalVideoFrames > 10;
      })()), [name, source], timeout);

/**
 * Keeps the page's RTCPeerConnections in window.__pcs (a test hook, from
 * the next navigation on), for what its statistics say.
 */
export const keepPeerConnections = (page) => page.context().addInitScript(() => {
  const Pc = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function RTCPeerConnection(...a) {
    const pc = new Pc(...a);
    window.__pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Pc.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Pc);
});

/**
 * Samples, every `ms` in the page, the video frames it decoded (inbound
 * RTP framesDecoded, every remote video); needs keepPeerConnections.
 * stopFrames() returns the samples: [wall clock ms, frames].
 */
export const startFrames = (page, ms = 100) => page.evaluate((every) => {
  window.__frames = [];
  window.__framesTimer = setInterval(async () => {
    let n = 0;
    for (const pc of window.__pcs ?? []) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded ?? 0;
      });
    }
    // and the key index the page sends with (rotation tests)
    const sending = document.querySelector('[data-testid=meeting]')?.dataset.sending;
    window.__frames.push([Date.now(), n, sending === undefined ? -1 : Number(sending)]);
  }, every);
}, ms);

/** The page's performance marks named bedrud:*, as { name: wall clock ms }. */
export const marks = (page) => page.evaluate(() => Object.fromEntries(
  performance.getEntriesByType('mark').filter((m) => m.name.startsWith('bedrud:'))
    .map((m) => [m.name, Math.round(performance.timeOrigin + m.startTime)])));

/** When the page's sending key index first became `index`, from startFrames' samples. */
export const switchedAt = (samples, index) => samples.find((s) => s[2] === index)?.[0] ?? null;

export const stopFrames = (page) => page.evaluate(() => {
  clearInterval(window.__framesTimer);
  return window.__frames;
});

/**
 * The longest time (ms) without a newly decoded frame within [from, to],
 * from startFrames' samples, when it began, and how many frames came.
 */
export function longestFreeze(samples, from, to) {
  let worst = 0;
  let worstAt = from;
  let lastRise = from;
  let prev = null;
  let frames = 0;
  for (const [at, n] of samples) {
    if (at < from || at > to) { if (at < from) prev = n; continue; }
    if (prev !== null && n > prev) {
      if (at - lastRise > worst) { worst = at - lastRise; worstAt = lastRise; }
      lastRise = at;
      frames += n - prev;
    }
    prev = n;
  }
  const tail = Math.min(to, samples.at(-1)?.[0] ?? to) - lastRise;
  if (tail > worst) { worst = tail; worstAt = lastRise; }
  return { worst, at: worstAt, frames };
}

/** The room key's index the page holds as newest, and the one it sends with. */
export const keyState = (page) => page.evaluate(() => {
  const d = document.querySelector('[data-testid=meeting]')?.dataset ?? {};
  return { index: Number(d.keyIndex ?? -1), sending: Number(d.sending ?? -1) };
});

/** The page holds key index `index` and sends with it. */
export const sendsWithIndex = (page, index, timeout = 15000) => waitTrue(page, (i) => {
  const d = document.querySelector('[data-testid=meeting]')?.dataset ?? {};
  return d.keyIndex === String(i) && d.sending === String(i);
}, index, timeout);

/** The meeting link of the invite panel now (with the newest key). */
export async function shareLink(page) {
  await openPanel(page, 'share');
  return page.inputValue('[data-testid=share-link]');
}

/** Opens a side panel ('people', 'chat', 'share') if it is not open. */
export async function openPanel(page, panel) {
  if (await page.locator(`[data-testid=panel-${panel}]`).count()) return;
  await page.click(`[data-testid=open-${panel}]`);
  await page.waitForSelector(`[data-testid=panel-${panel}]`);
}

export async function sendChat(page, text) {
  await openPanel(page, 'chat');
  await page.fill('#chat input[name=text]', text);
  await page.click('#chat button[type=submit]');
}

/** The chat (opened if it is not) shows a message containing `text`. */
export async function chatHas(page, text, timeout = 15000) {
  await openPanel(page, 'chat');
  return waitTrue(page, (s) => [...document.querySelectorAll('[data-testid=chat-message]')]
    .some((li) => li.textContent.includes(s)), text, timeout);
}

/** The notices shown (moderation, system messages), as text. */
export const notices = (page) =>
  page.locator('[data-testid=notice]').allInnerTexts().catch(() => []);

/** Opens `name`'s moderation menu in the people panel and picks `action`. */
export async function moderate(page, name, action) {
  await openPanel(page, 'people');
  const row = page.locator(`[data-testid=person][data-name="${name}"]`);
  await row.locator('[data-testid=mod-menu]').click();
  await row.locator(`[data-testid=mod-${action}]`).click();
  if (action === 'kick' || action === 'ban') {
    await row.locator(`[data-testid=confirm-${action}]`).click();
  }
}

/**
 * A data message from the server itself, as the module sends its system
 * messages (LiveKit RoomService SendData, reliable, no participant), by
 * LiveKit's Twirp API with an admin token made from its key and secret.
 */
export async function serverSendData({ api, key, secret }, room, payload,
                                     { topic = 'system', to = [] } = {}) {
  const b64 = (x) => Buffer.from(x).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify({ iss: key, nbf: now, exp: now + 60,
                                    video: { roomAdmin: true, room } }));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  const res = await fetch(`${api}/twirp/livekit.RoomService/SendData`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${head}.${body}.${sig}` },
    body: JSON.stringify({ room, data: Buffer.from(JSON.stringify(payload)).toString('base64'),
                           kind: 'RELIABLE', topic, destination_identities: to }),
  });
  if (!res.ok) throw new Error(`SendData: ${res.status} ${await res.text()}`);
}
