// Join press to first decoded remote frame, in Debian's chromium with fake
// media, against a running nginx + module + LiveKit (bench/join-to-frame
// starts them). Not a test: it prints figures.
//
// For each room (plain and E2EE alternately, after one warm-up room of
// each that is not counted): a host joins as a guest by the link and
// publishes its fake camera; then a second guest opens the same link,
// the page loads (the meeting code with it), and the clock starts when
// the Join button is pressed and stops when the first remote video frame
// of at least 100 px width is presented on screen (requestVideoFrameCallback,
// inside the page, so no polling delay). In an E2EE room that frame has
// been decrypted: with a wrong key none is shown.
//
// Only the guest form is used (`#guest`, `input[name=guestName]`, its
// submit button), which the old and the new client share, so the same
// driver measures both.
//
// Usage: node join-to-frame.mjs <base url> [rooms]    (CHROMIUM: browser)
// Output: one "frame <kind> <ms>" line per room, then
//         "summary <kind> n=<n> median=<ms> worst=<ms> best=<ms>".

import { launch } from './chromium.mjs';
import { randomBytes } from 'node:crypto';

const base = process.argv[2];
const rooms = Number(process.argv[3] ?? 5);
const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

async function api(path, body, token) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json',
               ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const owner = await api('/api/auth/register', {
  email: `bench-${run}@example.com`, password: 'correct horse battery',
  name: 'Bench',
});
const token = owner.tokens.accessToken;

async function newRoom(i, e2ee) {
  const room = await api('/api/room/create', {
    name: `jtf-${run}-${i}`, isPublic: true, maxParticipants: 0,
    settings: { allowChat: true, allowVideo: true, allowAudio: true,
                requireApproval: false, e2ee },
  }, token);
  const path = `${base}/r/${room.name}`;
  return e2ee ? `${path}#key=${randomBytes(32).toString('base64url')}` : path;
}

const browser = await launch();

// the clock, inside the page
function hook() {
  const b = { t0: 0, first: 0, ws: 0, pc: 0 };
  window.__bench = b;
  // the same milestones in any client: LiveKit's signalling WebSocket open,
  // the first peer connection connected
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...a) {
      super(...a);
      this.addEventListener('open', () => { if (b.t0 && !b.ws) b.ws = performance.now(); });
    }
  };
  const PC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends PC {
    constructor(...a) {
      super(...a);
      this.addEventListener('connectionstatechange', () => {
        if (b.t0 && !b.pc && this.connectionState === 'connected') b.pc = performance.now();
      });
    }
  };
  const seen = new WeakSet();
  const local = (v) => v.closest('.local, [data-lk-local-participant="true"]');
  const watch = (v) => {
    if (seen.has(v)) return;
    seen.add(v);
    const frame = (_now, meta) => {
      if (b.first) return;
      if (b.t0 && meta.width >= 100 && v.isConnected && !local(v)) {
        b.first = performance.now();
      } else {
        v.requestVideoFrameCallback(frame);
      }
    };
    v.requestVideoFrameCallback(frame);
  };
  new MutationObserver(() => document.querySelectorAll('video').forEach(watch))
    .observe(document, { subtree: true, childList: true });
}

async function guestJoin(page, link, name) {
  await page.goto(link);
  await page.waitForSelector('#guest input[name=guestName]');
  await page.fill('#guest input[name=guestName]', name);
}

async function one(i, e2ee) {
  const link = await newRoom(i, e2ee);
  const hostCtx = await browser.newContext();
  const guestCtx = await browser.newContext();
  try {
    const host = await hostCtx.newPage();
    await guestJoin(host, link, 'Host');
    await host.click('#guest button[type=submit]');
    // the host publishes its camera: a local <video> with frames
    await host.waitForFunction(() => [...document.querySelectorAll('video')]
      .some((v) => v.videoWidth > 0), null, { timeout: 30000 });
    await host.waitForTimeout(1000);

    const guest = await guestCtx.newPage();
    await guest.addInitScript(hook);
    await guestJoin(guest, link, 'Guest');
    await guest.waitForLoadState('networkidle');
    await guest.evaluate(() => {
      window.__bench.t0 = performance.now();
      document.querySelector('#guest button[type=submit]').click();
    });
    await guest.waitForFunction(() => window.__bench.first > 0, null,
                                { timeout: 30000, polling: 50 });
    return guest.evaluate(() => {
      const b = window.__bench;
      // the new client's marks (none in the old one)
      const at = (n) => performance.getEntriesByName(`bedrud:${n}`)[0]?.startTime;
      const steps = [['ws', b.ws || undefined], ['pc', b.pc || undefined],
        ...['api', 'connected', 'subscribed'].map((n) => [n, at(n)])]
        .filter(([, t]) => t !== undefined)
        .map(([n, t]) => `${n}=${(t - b.t0).toFixed(0)}`).join(' ');
      return { ms: b.first - b.t0, steps };
    });
  } finally {
    await hostCtx.close();
    await guestCtx.close();
  }
}

const results = { plain: [], e2ee: [] };
let failed = 0;
try {
  for (let i = 0; i <= rooms; i++) {
    for (const e2ee of [false, true]) {
      const kind = e2ee ? 'e2ee' : 'plain';
      try {
        const { ms, steps } = await one(`${i}${kind[0]}`, e2ee);
        console.log(`frame ${kind} ${ms.toFixed(0)}${i === 0 ? ' (warm-up)' : ''}`
                    + `${steps ? ` (${steps})` : ''}`);
        if (i > 0) results[kind].push(ms);
      } catch (e) {
        failed++;
        console.log(`error ${kind}: ${e.message.split('\n')[0]}`);
      }
    }
  }
} finally {
  await browser.close();
}

for (const [kind, xs] of Object.entries(results)) {
  if (!xs.length) continue;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2]
                           : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  console.log(`summary ${kind} n=${s.length} median=${mid.toFixed(0)}`
              + ` worst=${s[s.length - 1].toFixed(0)} best=${s[0].toFixed(0)}`);
}
process.exit(failed ? 1 : 0);
