// A browser participant of an E2EE room, for t/906-moderation-e2e.t: does
// a client with LiveKit's end-to-end encryption on (the `encryption`
// option, which also encrypts data packets) receive the server's system
// messages, which the server cannot encrypt?
//
// It opens the test's page /system-probe.html, joins with livekit-client
// (served by the test's nginx at /lkc/, the package's own dist files) and
// a shared key, turns encryption on, prints
// "ready", then one line per data packet received:
//
//   data: <topic> <sender identity or "server"> <payload>
//
// until it has seen every expected event of topic "system" (exit 0) or
// the time is up (exit 1).
//
// Usage: node system-data.mjs <base url> <ws url> <token> <key>
//            <event,event,...> <seconds>      (CHROMIUM: the browser)

import { launch } from './chromium.mjs';

const [base, wsUrl, token, key, events, secs] = process.argv.slice(2);
const want = events.split(',');

const browser = await launch();
let rc = 1;

try {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));

  // a page nginx serves (the test's /system-probe.html), so that the
  // module and its worker load, and the page may reach loopback (a page
  // made up in the browser may not: Chromium's local network access)
  await page.goto(`${base}/system-probe.html`);

  const joined = await page.evaluate(async ([url, tok, k]) => {
    const lk = await import('/lkc/livekit-client.esm.mjs');
    const keyProvider = new lk.ExternalE2EEKeyProvider();
    await keyProvider.setKey(k);
    const worker = new Worker('/lkc/livekit-client.e2ee.worker.mjs',
                              { type: 'module' });
    const room = new lk.Room({ encryption: { keyProvider, worker } });
    window.got = [];
    room.on(lk.RoomEvent.DataReceived, (payload, participant, kind, topic) => {
      window.got.push({
        topic: topic ?? '',
        from: participant ? participant.identity : 'server',
        text: new TextDecoder().decode(payload),
      });
    });
    await room.setE2EEEnabled(true);
    await room.connect(url, tok, { rtcConfig: { iceServers: [] } });
    window.room = room;
    return { e2ee: room.isE2EEEnabled, identity: room.localParticipant.identity };
  }, [wsUrl, token, key]);

  console.log(`ready e2ee=${joined.e2ee} identity=${joined.identity}`);

  const deadline = Date.now() + Number(secs) * 1000;
  let seen = 0;
  while (Date.now() < deadline) {
    const got = await page.evaluate(() => window.got);
    for (; seen < got.length; seen++) {
      const d = got[seen];
      console.log(`data: ${d.topic} ${d.from} ${d.text}`);
    }
    const events = got.filter((d) => d.topic === 'system')
      .map((d) => { try { return JSON.parse(d.text).event; } catch { return ''; } });
    if (want.every((w) => events.includes(w))) {
      rc = 0;
      break;
    }
    await page.waitForTimeout(100);
  }
  await page.evaluate(() => window.room.disconnect());
} catch (e) {
  console.log(`# failed: ${e.message}`);
}

await browser.close();
process.exit(rc);
