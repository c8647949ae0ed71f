// Debian's chromium for every browser script (the tests, bot-peer.mjs,
// the join-to-frame benchmark), through playwright-core: fake camera and
// microphone granted without asking, WebRTC on loopback only.
//
//   const browser = await launch();      (CHROMIUM: another binary)
//   const browser = await launch(['--some-flag']);   (more arguments)

import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  '--no-sandbox',
  '--disable-dev-shm-usage',    // containers often have a tiny /dev/shm
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const launch = (extraArgs = []) => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [...CHROMIUM_ARGS, ...extraArgs],
});
