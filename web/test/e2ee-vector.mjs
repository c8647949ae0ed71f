// The room key format's test vectors, from livekit-client's own code in
// node (WebCrypto), for t/950-bot-keyformat.t to hold against the bot's
// derivation (tools/bedrud-bot, Python) and against docs/e2ee.md:
//
//   1. the key provider options the web client gets (new
//      ExternalE2EEKeyProvider(), as web/src/e2ee.ts makes it);
//   2. the AES-GCM key livekit-client derives from a fixed room key
//      (createKeyMaterialFromBuffer + deriveKeys), shown to equal the bytes
//      of HKDF-SHA-256(salt "LKFrameEncryptionKey", info 128 zero bytes):
//      the derived key cannot be exported, so both encrypt the same block;
//   3. livekit-client's e2ee worker (the file the browser runs) encrypting
//      an Opus frame, a VP8 key frame and a data packet: each output is
//      taken apart by the layout docs/e2ee.md describes and decrypted with
//      the bytes of 2.;
//   4. the documented example frame (fixed IV), computed with those bytes.
//
// Prints one JSON object; exits 1 if a step disagrees (with the reason).
//
// Usage: node test/e2ee-vector.mjs [room key as in the link]

import {
  ExternalE2EEKeyProvider, createKeyMaterialFromBuffer, deriveKeys,
} from 'livekit-client';

const subtle = globalThis.crypto.subtle;
const hex = (b) => Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b).toString('hex');
const fail = (why) => { console.log(JSON.stringify({ error: why })); process.exit(1); };

const linkKey = process.argv[2] ?? Buffer.from([...Array(32).keys()]).toString('base64url');
const room = new Uint8Array(Buffer.from(linkKey, 'base64url'));
if (room.length !== 32) fail('a room key is 32 bytes');

// 1. the options of the web client's provider
const provider = new ExternalE2EEKeyProvider();
const options = provider.getOptions();

// 2. livekit-client's derived key, and the same by hand
const material = await createKeyMaterialFromBuffer(room.slice().buffer);
const { encryptionKey } = await deriveKeys(material, options);
const hkdf = await subtle.importKey('raw', room, 'HKDF', false, ['deriveBits']);
const raw = new Uint8Array(await subtle.deriveBits({
  name: 'HKDF', hash: 'SHA-256',
  salt: new TextEncoder().encode(options.ratchetSalt),
  info: new Uint8Array(128),
}, hkdf, options.keySize));
const aes = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
const probe = { name: 'AES-GCM', iv: new Uint8Array(12) };
const block = new TextEncoder().encode('bedrud e2ee vector');
if (hex(await subtle.encrypt(probe, encryptionKey, block))
    !== hex(await subtle.encrypt(probe, aes, block))) {
  fail('livekit-client derives another key than HKDF-SHA-256 as documented');
}

// 3. livekit-client's worker, in this process: it reads `self`,
// `onmessage` and `postMessage` as a dedicated worker would
const replies = [];
globalThis.self = globalThis;
globalThis.onmessage = null;
globalThis.postMessage = (m) => replies.push(m);
await import('livekit-client/e2ee-worker');
const worker = globalThis.onmessage;
const send = (kind, data) => worker({ data: { kind, data } });
const settle = () => new Promise((r) => setTimeout(r, 50));

send('init', { keyProviderOptions: options, loglevel: 'silent' });
send('setKey', { key: material, keyIndex: 0, participantIdentity: 'alice' });
send('enable', { enabled: true, participantIdentity: 'alice' });
await settle();

// one frame through an "encode" transform, as RTCRtpSender would feed it
async function encode(trackId, frame, codec) {
  const out = [];
  const readable = new ReadableStream({ start(c) { c.enqueue(frame); c.close(); } });
  const writable = new WritableStream({ write(f) { out.push(f); } });
  send('encode', { participantIdentity: 'alice', trackId, readableStream: readable,
                   writableStream: writable, codec });
  for (let i = 0; i < 100 && !out.length; i++) await settle();
  if (!out.length) fail(`the worker encrypted no ${trackId} frame`);
  return new Uint8Array(out[0].data);
}

// takes an encrypted frame apart as docs/e2ee.md says, and decrypts it
async function open(data, headerLen, plain) {
  const n = data.length;
  const keyIndex = data[n - 1];
  const ivLen = data[n - 2];
  if (ivLen !== 12) fail(`IV length byte ${ivLen}, not 12`);
  const iv = data.slice(n - 2 - ivLen, n - 2);
  const header = data.slice(0, headerLen);
  const sealed = data.slice(headerLen, n - 2 - ivLen);
  let opened;
  try {
    opened = new Uint8Array(await subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: header }, aes, sealed));
  } catch {
    fail(`a ${headerLen}-byte header frame does not open as documented`);
  }
  if (hex(header) + hex(opened) !== hex(plain)) fail('decrypted frame differs');
  return { bytes: n, header: hex(header), ivLength: ivLen, iv: hex(iv),
           keyIndex, sealedBytes: sealed.length, overhead: n - plain.length };
}

const ssrc = 0x11223344;
const opus = new Uint8Array([0x78, ...Array.from({ length: 40 }, (_, i) => i * 7 & 255)]);
const audio = await encode('audio-1', {
  data: opus.slice().buffer, timestamp: 960,
  getMetadata: () => ({ synchronizationSource: ssrc, payloadType: 111 }),
});
const vp8 = new Uint8Array([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01,
                            ...Array.from({ length: 50 }, (_, i) => i * 13 & 255)]);
const video = await encode('video-1', {
  type: 'key', data: vp8.slice().buffer, timestamp: 90000,
  getMetadata: () => ({ synchronizationSource: ssrc + 1, payloadType: 96 }),
}, 'vp8');

const packet = new TextEncoder().encode('{"hello":"chat"}');
send('encryptDataRequest', { payload: packet, participantIdentity: 'alice', uuid: 'u1' });
for (let i = 0; i < 100 && !replies.some((r) => r.kind === 'encryptDataResponse'); i++) {
  await settle();
}
const enc = replies.find((r) => r.kind === 'encryptDataResponse')?.data;
if (!enc) fail('the worker encrypted no data packet');
let dataOk = false;
try {
  dataOk = hex(await subtle.decrypt({ name: 'AES-GCM', iv: enc.iv }, aes, enc.payload))
    === hex(packet);
} catch { /* stays false */ }
if (!dataOk) fail('a data packet does not open with the frame key and its IV');

// 4. the documented example: this Opus frame, this IV, key index 0
const exIv = Buffer.from('11223344000003c0000003bf', 'hex');
const exSealed = new Uint8Array(await subtle.encrypt(
  { name: 'AES-GCM', iv: exIv, additionalData: opus.slice(0, 1) }, aes, opus.slice(1)));
const example = hex(opus.slice(0, 1)) + hex(exSealed) + hex(exIv) + '0c00';

console.log(JSON.stringify({
  roomKey: linkKey,
  options: { sharedKey: options.sharedKey, ratchetSalt: options.ratchetSalt,
             ratchetWindowSize: options.ratchetWindowSize,
             failureTolerance: options.failureTolerance,
             keyringSize: options.keyringSize, keySize: options.keySize },
  frameKey: hex(raw),
  audioFrame: await open(audio, 1, opus),
  vp8KeyFrame: await open(video, 10, vp8),
  dataPacket: { keyIndex: enc.keyIndex, ivLength: enc.iv.length,
                overhead: enc.payload.length - packet.length },
  example: { plain: hex(opus), iv: hex(exIv), frame: example },
}, null, 1));
process.exit(0);
