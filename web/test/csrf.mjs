// Cross-site requests against the API, as a browser makes them (CSRF):
// a user signed in on VICTIM (its cookies in the browser) visits a page
// of ATTACKER, another origin of the same host (another port: the same
// site, so SameSite cookies go along).  That page tries a form post, a
// fetch with credentials and a text/plain body against room create, ban
// and logout; then a page of VICTIM itself creates a room with the
// cookie, which must still work.  What reached the server, and what it
// did, is checked by the caller (t/915-web-csrf.t, from nginx's access
// log and Redis; Playwright does not show the cookies it sent).
//
//   ACCESS=... REFRESH=... node test/csrf.mjs VICTIM ATTACKER
//
// Prints "ok - ..." / "not ok - ..." lines.

import { launch } from './chromium.mjs';

const [victim, attacker] = process.argv.slice(2);
const { ACCESS, REFRESH } = process.env;

if (!victim || !attacker || !ACCESS || !REFRESH) {
  console.error('usage: ACCESS=... REFRESH=... node test/csrf.mjs VICTIM ATTACKER');
  process.exit(2);
}

const report = (ok, what) => console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);

const browser = await launch();
let failed = false;

try {
  const context = await browser.newContext();

  // signed in on the victim's origin, as its web client leaves it
  await context.addCookies(['access_token', 'refresh_token'].map((name) => ({
    name,
    value: name === 'access_token' ? ACCESS : REFRESH,
    url: victim,
    httpOnly: true,
    sameSite: 'Lax',
  })));

  // the attacker's page does its worst by itself, then says "done"
  const page = await context.newPage();
  await page.goto(`${attacker}/evil.html`);
  await page.waitForFunction(() => document.title === 'done', null,
                             { timeout: 20000 });
  report(true, "the attacker's page made its attempts");

  // our own page still may: the same cookie, our origin
  await page.goto(`${victim}/csrf/ok.html`);
  await page.waitForFunction(() => document.title.startsWith('status '), null,
                             { timeout: 20000 });
  const title = await page.title();
  report(title === 'status 200', `our own page creates a room with the cookie (${title})`);
  failed ||= title !== 'status 200';
} catch (err) {
  report(false, `browser run: ${err.message}`);
  failed = true;
} finally {
  await browser.close();
}

process.exit(failed ? 1 : 0);
