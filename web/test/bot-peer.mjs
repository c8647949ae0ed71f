// The web client and bedrud-bot (LiveKit's Python SDK) in one end-to-end
// encrypted meeting, run by t/960-bot-e2ee.t against nginx + the module +
// LiveKit on loopback, in Debian's chromium (playwright-core) with its fake
// camera and microphone:
//
//   1. Alice signs up and creates an E2EE room that lets guests in.
//   2. `bedrud-bot record` joins as a guest with her link and records her.
//   3. `bedrud-bot say` plays a tone into the meeting: Alice's browser
//      decodes it (inbound audio samples rise, little concealment, energy)
//      and shows the announcer as encrypted; the recorder records it too.
//   4. A recorder with another key decrypts nothing and says so, naming her.
//   5. Key indexes: `say` with the same key at index 1 ("&ki=1"): a
//      recorder holding index 1 decodes it, one holding only index 0 says
//      the announcer uses a key index its link does not carry.
//   6. Alice removes a participant: the room key rotates (issue 9), her
//      page sends with the new key at index 1, and the first recorder,
//      there since step 2, follows it and goes on decrypting her; then it
//      stops on Ctrl-C (SIGINT).
//   7. A last recorder, with Alice's new link, ends by itself when Alice
//      leaves (the meeting is over).
//
// A bot still running well past its time is killed, and its step fails.
//
// The files are checked by the caller. Prints "ok"/"not ok" lines, then
// "info NAME VALUE" lines (the room, the key, the bots' output files, the
// measured figures); exits 1 if a check failed.
//
// Usage: node test/bot-peer.mjs <base url> <output dir> <tone file>
//   BEDRUD_BOT   the bot's launcher (tools/bedrud-bot/bedrud-bot)
//   CHROMIUM     the browser binary

import * as web from './lib.mjs';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

// The web client is driven by the shared steps of lib.mjs (its stable
// test hooks); nothing here knows its markup.

const [base, out, tone] = process.argv.slice(2);
const bot = process.env.BEDRUD_BOT;
const t = web.checker();
const { check } = t;
const info = (name, value) => console.log(`info ${name} ${value}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// runs the bot; the link goes on standard input, never on its command line
function run(name, args, link, env = {}) {
  const t0 = Date.now();
  const p = spawn(bot, args, { env: { ...process.env, ...env },
                               stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  p.stdout.on('data', (d) => { text += d; });
  p.stderr.on('data', (d) => { text += d; });
  p.stdin.end(`${link}\n`);
  const done = new Promise((resolve) => p.on('close', (code, sig) => {
    writeFileSync(`${out}/${name}.log`, text);
    info(`log-${name}`, `${out}/${name}.log`);
    resolve({ code: code ?? 128, sig, text, secs: (Date.now() - t0) / 1000 });
  }));
  return { done, joined: () => /: joined /.test(text), output: () => text,
           signal: (sig) => p.kill(sig) };
}

// a bot's end, or SIGKILL after `ms` (a hung bot fails the run, never stalls it)
async function finished(bot, ms) {
  const r = await Promise.race([bot.done, sleep(ms).then(() => null)]);
  if (r) return r;
  bot.signal('SIGKILL');
  const killed = await bot.done;
  return { ...killed, code: 124, text: `${killed.text}\n(killed: still running after ${ms} ms)` };
}

async function until(cond, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    if (cond()) return true;
  }
  return cond();
}

const browser = await web.launch();

// what the page receives, from its RTCPeerConnections (test-only hook)
const inboundAudio = (page) => page.evaluate(async () => {
  const sum = { samples: 0, concealed: 0, energy: 0, packets: 0 };
  for (const pc of window.__pcs ?? []) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'audio') return;
      sum.samples += r.totalSamplesReceived ?? 0;
      sum.concealed += r.concealedSamples ?? 0;
      sum.energy += r.totalAudioEnergy ?? 0;
      sum.packets += r.packetsReceived ?? 0;
    });
  }
  return sum;
});

// frames Alice's camera sent, per simulcast layer (rid)
const outboundVideo = (page) => page.evaluate(async () => {
  const layers = {};
  for (const pc of window.__pcs ?? []) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') {
        layers[r.rid ?? '-'] = { frames: r.framesSent ?? 0,
                                 size: `${r.frameWidth ?? 0}x${r.frameHeight ?? 0}` };
      }
    });
  }
  return layers;
});

try {
  const alice = await web.person(browser, 'Alice', t);
  await web.keepPeerConnections(alice);

  // 1. Alice and her room (createRoom joins it: she is connected)
  await web.signUp(alice, base, 'Alice');
  const { room, link, key } = await web.createRoom(alice,
    { name: `bot-${web.run}`, e2ee: true, guests: true });
  check(/^[A-Za-z0-9_-]{43}$/.test(key), 'Alice\'s link carries a room key', link);
  check(await web.connected(alice, 5000), 'Alice is connected');
  info('room', room);
  info('key', key);

  // 2. the recorder
  const rec = run('record', ['record', '-', '--out', `${out}/rec`], link,
                  { BEDRUD_GUEST: 'Recorder' });
  check(await until(rec.joined, 20000), 'the recorder joins', rec.output());
  const sentBefore = await outboundVideo(alice);
  await sleep(4000);

  // 3. the announcer, heard by Alice
  const before = await inboundAudio(alice);
  const say = run('say', ['say', '-', tone], link, { BEDRUD_GUEST: 'Announcer' });
  check(await until(() => /: speaking/.test(say.output()), 30000),
        'the announcer starts speaking', say.output());
  check(await web.tileState(alice, 'Announcer', 'encrypted'),
        'Alice\'s page shows the announcer as encrypted');
  await sleep(5000);
  const during = await inboundAudio(alice);
  const said = await say.done;
  check(said.code === 0, 'the announcer ends well', said.text);
  const got = (during.samples - before.samples) / 48000;
  const concealed = (during.concealed - before.concealed)
    / Math.max(1, during.samples - before.samples);
  info('browser-audio-seconds', got.toFixed(2));
  info('browser-concealed', concealed.toFixed(3));
  info('browser-energy', (during.energy - before.energy).toFixed(4));
  check(got >= 4, 'Alice\'s browser decodes the announcer\'s audio',
        JSON.stringify({ before, during }));
  check(concealed < 0.2, 'with little concealment', concealed.toFixed(3));
  check(during.energy - before.energy > 0.01, 'and it is not silence',
        JSON.stringify({ before, during }));

  // 4. another key decrypts nothing
  const wrong = run('wrong', ['record', '-', '--out', `${out}/wrong`,
                              '--duration', '12', '--audio-only'],
                    `${link.replace(/#.*/, '')}#key=${'A'.repeat(42)}w`,
                    { BEDRUD_GUEST: 'Stranger' });
  const w = await finished(wrong, 40000);
  check(w.code === 3, 'a recorder with another key exits with status 3', w.text);
  check(/cannot decrypt Alice \(/.test(w.text) && /different room key/.test(w.text),
        'and says it cannot decrypt Alice', w.text);

  // 5. key index 1 (the same key): only a holder of index 1 decodes it
  const at1 = `${link}&ki=1`;
  const r0 = run('index0', ['record', '-', '--out', `${out}/index0`,
                            '--duration', '16', '--audio-only'], link,
                 { BEDRUD_GUEST: 'Index0' });
  const r1 = run('index1', ['record', '-', '--out', `${out}/index1`,
                            '--duration', '16', '--audio-only'], at1,
                 { BEDRUD_GUEST: 'Index1' });
  check(await until(() => r0.joined() && r1.joined(), 20000), 'two recorders join',
        r0.output() + r1.output());
  const say1 = run('say1', ['say', '-', tone], at1, { BEDRUD_GUEST: 'Announcer1' });
  const s1 = await finished(say1, 60000);
  check(s1.code === 0, 'an announcer at key index 1 speaks', s1.text);
  const [i0, i1] = [await finished(r0, 40000), await finished(r1, 40000)];
  check(i1.code === 0, 'the recorder holding index 1 ends well', i1.text);
  check(/cannot decrypt Announcer1 .*key index this link does not carry/.test(i0.text),
        'the one holding only index 0 says the announcer uses another key index',
        i0.text);

  // 6. Alice removes a participant: the room key rotates, and the
  // recorder, which holds the key, follows it (the others' key message
  // reaches it like a browser) and goes on recording Alice (the recorder
  // has been recording since step 2)
  const victim = run('victim', ['record', '-', '--out', `${out}/victim`, '--audio-only'],
                     link, { BEDRUD_GUEST: 'Victim' });
  check(await until(victim.joined, 20000), 'a participant to remove joins', victim.output());
  await web.openPanel(alice, 'people');
  check(await web.waitTrue(alice, () => !!document.querySelector(
    '[data-testid=person][data-name=Victim]')), 'Alice sees it in the people list',
        JSON.stringify(await alice.evaluate(() => [...document.querySelectorAll(
          '[data-testid=person], [data-testid=tile]')].map((x) => x.dataset.name))));
  await web.moderate(alice, 'Victim', 'kick');
  const v = await finished(victim, 20000);
  check(v.code === 6, 'Alice removes it (it exits: removed)', v.text);
  check(await web.sendsWithIndex(alice, 1), 'Alice\'s page changes to key index 1');
  check(await until(() => /room key was changed .*key index 1/.test(rec.output()), 10000),
        'the recorder takes the new key', rec.output());
  const newLink = await web.shareLink(alice);
  check(/&ki=1$/.test(newLink) && !newLink.includes(key), 'Alice\'s link has the new key');
  info('key1', /#key=([\w-]+)/.exec(newLink)?.[1] ?? '');
  await sleep(8000);
  check(!/cannot decrypt Alice/.test(rec.output()), 'and goes on decrypting Alice', rec.output());

  const sentAfter = await outboundVideo(alice);
  rec.signal('SIGINT');
  info('camera-sent', Object.entries(sentAfter).map(([rid, l]) =>
    `${rid} ${l.size} ${l.frames - (sentBefore[rid]?.frames ?? 0)} frames`).join(', '));
  const recorded = await finished(rec, 30000);
  check(recorded.code === 0 && /stopping/.test(recorded.text),
        'the recorder stops on Ctrl-C, and ends well', recorded.text);

  // 7. the meeting ends when Alice leaves
  const last = run('last', ['record', '-', '--out', `${out}/last`, '--audio-only',
                            '--alone-exit', '3'], newLink, { BEDRUD_GUEST: 'Last' });
  check(await until(last.joined, 20000), 'a last recorder joins', last.output());
  check(await web.waitTrue(alice, (who) => [...document.querySelectorAll('[data-testid=tile]')]
    .some((x) => x.dataset.name === who), 'Last'), 'Alice sees it in the meeting');
  await alice.close();
  const t0 = Date.now();
  const l = await Promise.race([last.done, sleep(30000).then(() => null)]);
  check(l && l.code === 0 && /everyone has left/.test(l.text),
        'when Alice leaves, it ends by itself', l ? l.text : last.output());
  if (l) info('alone-exit-seconds', ((Date.now() - t0) / 1000).toFixed(1));
  else last.signal('SIGKILL');

  info('out', out);
  check(t.problems.length === 0, 'no CSP violation or page error', t.problems.join(' | '));
} catch (e) {
  check(false, 'the run', e.stack ?? String(e));
} finally {
  await browser.close();
}

process.exit(t.failed ? 1 : 0);
