// The rooms dashboard and the account pages as a person uses them, in
// Debian's chromium against nginx + the module + LiveKit (t/913):
//
//   dashboard: empty and loading states; the create dialog (E2EE on by
//     default, every setting; a bad name refused in words) leads to the
//     meeting's key-sharing panel; cards newest first with the Encrypted
//     badge, guests, capacity and who is in the meeting now (live);
//     the settings dialog says what a change does to the meeting in
//     progress, and does it: E2EE turned on applies to joins after the
//     change (the one inside stays connected and unencrypted, a join with
//     the new link is encrypted, the old link without key is refused);
//     delete after a confirmation (cancel keeps it); a room deleted
//     elsewhere makes its settings fail in words; join by link or name;
//   the database away (Redis paused): at page load and for the rooms
//     list, the page says so in words, and Try again recovers;
//   sessions: a new tab is signed in from the refresh cookie (one
//     refresh, no password), two tabs refreshing at once both stay signed
//     in (one refresh after the other), an ended session goes to sign-in
//     and comes back to the page it was on;
//   account: rename (and a refused name), password change (a wrong
//     current one refused; the other session ends, this one stays), sign
//     out everywhere (every session of the user ends);
//   a non-superadmin sees no admin link, gets no admin page and the API
//     refuses them.
//
// Prints "ok ..." / "not ok ..." lines; exits 1 if a check failed.
// SCREENSHOTS=<dir> keeps screenshots at desktop and phone size.
//
// Usage: REDIS_PORT=<the module's Redis> node dashboard.mjs <base url>
//        (CHROMIUM: the browser binary)

import { execFileSync } from 'node:child_process';
import * as web from './lib.mjs';
import {
  REFRESH, apiFromPage, count, email, expireAccess, pathMatches, person, shot, signIn, tab, textMatches,
  visible,
} from './pages.mjs';

const base = process.argv[2];
const t = web.checker();
const { check } = t;
const browser = await web.launch();
const NEW_PASSWORD = 'a new horse battery staple';

const card = (name) => `[data-testid=room-card][data-room="${name}"]`;
const cardAttr = (page, name, attr) =>
  page.getAttribute(card(name), attr, { timeout: 5000 }).catch(() => null);
const waitCard = (page, name, attr, value, timeout = 20000) => web.waitTrue(page,
  ([s, a, v]) => document.querySelector(s)?.getAttribute(a) === v,
  [card(name), attr, value], timeout);

/**
 * Presses Try again (`button`) until `shown` is on screen, as a person
 * would: the server reconnects to Redis with a back-off (up to 5 s), so
 * the first press after Redis returns may still get a 503.
 */
async function retryUntil(page, button, shown, secs = 15) {
  for (let i = 0; i < secs; i++) {
    if (await page.isVisible(shown)) return true;
    if (await page.isVisible(button)) await page.click(button).catch(() => {});
    await page.waitForTimeout(1000);
  }
  return page.isVisible(shown);
}

try {
  // ---------------------------------------------------------- dashboard
  const alice = await person(browser, 'Alice', t);
  await alice.goto(`${base}/`);
  await alice.waitForSelector('#register');
  await shot(alice, 'signin', { phone: true });
  await web.signUp(alice, base, 'Alice');
  check(await visible(alice, '[data-testid=rooms][data-state=empty] [data-testid=rooms-empty]'),
        'a new account sees the empty state');
  await shot(alice, 'dashboard-empty');

  // a non-superadmin: no link, no page, and the API says no
  check(await alice.locator('[data-testid=nav-admin]').count() === 0,
        'a non-superadmin has no admin link');
  await alice.goto(`${base}/admin/users`);
  check(await visible(alice, '[data-testid=admin-refused]'),
        'a non-superadmin opening /admin gets no admin page');
  await shot(alice, 'admin-refused', { phone: true });
  const refused = await apiFromPage(alice, 'GET', '/api/admin/users');
  check(refused.status === 403 && /Insufficient access rights/.test(refused.body),
        'and the API refuses them', JSON.stringify(refused));

  // loading: the list held back shows the loading state
  let release;
  const held = new Promise((r) => { release = r; });
  await alice.route('**/api/room/list', async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  await alice.goto(`${base}/`);
  check(await visible(alice, '[data-testid=rooms][data-state=loading] [data-testid=rooms-loading]'),
        'while the rooms load, the dashboard says so');
  await shot(alice, 'dashboard-loading');
  release();
  check(await visible(alice, '[data-testid=rooms][data-state=empty]'), 'then the empty state');
  await alice.unroute('**/api/room/list');

  // the database away (Redis paused: every command of the server waits, it
  // answers 503 after its timeout; only reads are made meanwhile, so that
  // nothing is done behind the person's back when Redis resumes)
  const pauseRedis = (ms) => execFileSync('redis-cli', ['-p', process.env.REDIS_PORT,
                                                        'CLIENT', 'PAUSE', String(ms), 'ALL']);
  let until = Date.now() + 6000;
  pauseRedis(6000);
  await alice.reload();
  check(await textMatches(alice, '[data-testid=session-error]', /cannot reach its database/)
        && await alice.locator('#login').count() === 0,
        'Redis away at page load: the page says the server cannot reach its database, '
        + 'not that the person is signed out');
  await shot(alice, 'session-error', { phone: true });
  await alice.waitForTimeout(Math.max(0, until - Date.now()) + 300);
  check(await retryUntil(alice, '[data-testid=session-retry]', '[data-testid=rooms][data-state=empty]'),
        'Redis back: Try again shows the dashboard, still signed in');
  await alice.click('[data-testid=nav-account]');
  await alice.waitForSelector('#profile');
  await alice.waitForTimeout(2100);          // the rooms list is stale by now
  until = Date.now() + 8000;
  pauseRedis(8000);
  await alice.click('[data-testid=nav-rooms]');
  check(await textMatches(alice, '[data-testid=rooms-error]', /cannot reach its database/, 12000),
        'Redis away: the rooms list says the server cannot reach its database');
  await shot(alice, 'dashboard-error');
  await alice.waitForTimeout(Math.max(0, until - Date.now()) + 300);
  await retryUntil(alice, '[data-testid=rooms-error] button:not([disabled])',
                   '[data-testid=rooms-empty]');
  check(await web.waitTrue(alice, () => !document.querySelector('[data-testid=rooms-error]'))
        && await visible(alice, '[data-testid=rooms][data-state=empty] [data-testid=rooms-empty]'),
        'Redis back: Try again shows the rooms');

  // the create dialog: defaults, a refused name in words
  await alice.click('[data-testid=new-room]');
  await alice.waitForSelector('#create');
  const defaults = {};
  for (const n of ['e2ee', 'audio', 'video', 'chat', 'guests']) {
    defaults[n] = await alice.isChecked(`#create input[name=${n}]`);
  }
  defaults.max = await alice.inputValue('#create input[name=max]');
  check(JSON.stringify(defaults) === JSON.stringify(
    { e2ee: true, audio: true, video: true, chat: true, guests: false, max: '20' }),
        'the create dialog has every setting, end-to-end encryption on by default',
        JSON.stringify(defaults));
  await alice.fill('#create input[name=room]', 'Bad Name!');
  await alice.click('#create button[type=submit]');
  check(await textMatches(alice, '#create .error', /only lowercase letters, numbers, and hyphens\./),
        'a bad room name is refused in words');
  await shot(alice, 'create-dialog', { phone: true });
  await alice.click('#create button:has-text("Cancel")');

  // an E2EE room: created, joined, the key-sharing panel open
  const alpha = `alpha-${web.run}`;
  const made = await web.createRoom(alice, { name: alpha, e2ee: true });
  check(made.key.length === 43 && await visible(alice, '[data-testid=panel-share]'),
        'creating an E2EE room leads to the meeting\'s key-sharing panel with the key in the link',
        made.link);

  // a plain room with guests, a capacity and no chat (the dialog's controls)
  const beta = `beta-${web.run}`;
  await alice.goto(`${base}/`);
  await alice.click('[data-testid=new-room]');
  await alice.fill('#create input[name=room]', beta);
  await alice.click('#create input[name=e2ee]');
  await alice.click('#create input[name=guests]');
  await alice.click('#create input[name=chat]');
  await alice.fill('#create input[name=max]', '5');
  check(await textMatches(alice, '#create [data-testid=room-hints]', /media server can see/),
        'the dialog says what no encryption means');
  await alice.click('#create button[type=submit]');
  await alice.waitForSelector('[data-testid=prejoin]');
  await alice.goto(`${base}/`);
  await alice.waitForSelector(card(beta));
  const names = await alice.$$eval('[data-testid=room-card]', (cs) => cs.map((c) => c.dataset.room));
  check(names.join() === [beta, alpha].join(), 'the rooms are cards, newest first', names.join());
  const facts = async (name) => ({
    badge: await alice.getAttribute(`${card(name)} [data-testid=e2ee-badge]`, 'data-state'),
    badgeText: await alice.textContent(`${card(name)} [data-testid=e2ee-badge]`),
    access: await alice.textContent(`${card(name)} [data-testid=room-access]`),
    capacity: await alice.textContent(`${card(name)} [data-testid=room-capacity]`),
    live: await alice.textContent(`${card(name)} [data-testid=room-live]`),
    text: await alice.textContent(card(name)),
  });
  let fa = await facts(alpha);
  let fb = await facts(beta);
  check(fa.badge === 'on' && /Encrypted/.test(fa.badgeText) && /Account holders only/.test(fa.access)
        && /Up to 20 people/.test(fa.capacity) && /Nobody/.test(fa.live)
        && await alice.locator(`${card(alpha)} [data-testid=e2ee-badge] svg`).count() === 1,
        'the E2EE room\'s card: Encrypted badge with its shield, members only, 20 people, nobody in',
        JSON.stringify(fa));
  check(fb.badge === 'off' && /Guests may join/.test(fb.access) && /Up to 5 people/.test(fb.capacity)
        && /no chat/.test(fb.text),
        'the plain room\'s card: no badge of encryption, guests, 5 people, no chat', JSON.stringify(fb));

  // active now, from LiveKit's webhooks
  const bob = await person(browser, 'Bob', t);
  await web.joinByLink(bob, `${base}/r/${beta}`, { guest: 'Bob', camera: false });
  check(await waitCard(alice, beta, 'data-active', '1'), 'Bob in the meeting: the card says 1 person is in it now');
  fb = await facts(beta);
  check(/1 person in the meeting now/.test(fb.live), 'in words', fb.live);
  await shot(alice, 'dashboard', { phone: true });

  // settings while Bob is in the meeting: E2EE on applies to joins after it
  await alice.click(`${card(beta)} [data-testid=room-settings]`);
  await alice.waitForSelector('#room-settings');
  check(await textMatches(alice, '[data-testid=in-progress]', /1 person is in this meeting now/)
        && await textMatches(alice, '[data-testid=in-progress]', /apply to the people who join after you save/),
        'the settings dialog says who is in the meeting and that changes apply to later joins');
  check(await alice.isChecked('#room-settings input[name=guests]')
        && !(await alice.isChecked('#room-settings input[name=chat]'))
        && await alice.inputValue('#room-settings input[name=max]') === '5',
        'it shows the room\'s settings');
  await alice.click('#room-settings input[name=e2ee]');
  check(await textMatches(alice, '[data-testid=in-progress]', /stay unencrypted until they join again/),
        'turning E2EE on: the dialog says the people inside stay unencrypted');
  await shot(alice, 'settings-dialog', { phone: true });
  await alice.click('#room-settings button[type=submit]');
  await alice.waitForSelector('[data-testid=new-link]');
  const newLink = await alice.inputValue('[data-testid=new-link-text]');
  check(/\/r\/beta-[^#]+#key=[A-Za-z0-9_-]{43}$/.test(newLink), 'saved: the new link holds a new key', newLink);
  await alice.click('[data-testid=copy-new-link]');
  check(await alice.evaluate(() => navigator.clipboard.readText()) === newLink,
        'Copy link puts it on the clipboard');
  await shot(alice, 'settings-new-link');
  await alice.click('[data-testid=new-link] button:has-text("Close")');
  check(await web.waitTrue(alice, (s) =>
    document.querySelector(s)?.getAttribute('data-state') === 'on',
  `${card(beta)} [data-testid=e2ee-badge]`), 'the card\'s badge follows: Encrypted');

  await bob.waitForTimeout(2000);
  check(await web.connected(bob, 2000)
        && await bob.getAttribute('[data-testid=e2ee-status]', 'data-state') === 'off',
        'Bob, inside before the change, stays connected and unencrypted');
  const carol = await person(browser, 'Carol', t);
  await web.joinByLink(carol, newLink, { guest: 'Carol', camera: false });
  const carolState = await carol.getAttribute('[data-testid=e2ee-status]', 'data-state');
  check(carolState !== 'off' && await web.tileState(carol, 'Bob', 'unencrypted'),
        'Carol, joining with the new link after the change, is encrypted, and her meeting '
        + 'flags Bob (inside since before) as sending unencrypted media', carolState);
  const dave = await person(browser, 'Dave', t);
  await dave.goto(`${base}/r/${beta}`);
  await dave.fill('#guest input[name=guestName]', 'Dave');
  await dave.click('#guest button[type=submit]');
  check(await visible(dave, '[data-testid=needkey]'),
        'Dave, with the old link (no key), is asked for the key, not joined unencrypted');
  for (const p of [bob, carol, dave]) await p.context().close();

  // a new tab: signed in from the refresh cookie, one refresh, no password
  const alice2 = await tab(alice, t);
  await alice2.goto(`${base}/`);
  check(await visible(alice2, '[data-testid=dashboard]') && await alice2.locator('#login').count() === 0,
        'a new tab is signed in without a password (refresh cookie)');
  check(count(alice2, REFRESH) === 1, 'with exactly one refresh', String(count(alice2, REFRESH)));
  await alice2.reload();
  await alice2.waitForSelector('[data-testid=dashboard]');
  check(count(alice2, REFRESH) === 1, 'a reload of that tab needs no other refresh');

  // delete: cancel keeps it; a settings dialog open elsewhere then fails in words
  await alice.click(`${card(alpha)} [data-testid=room-settings]`);
  await alice.waitForSelector('#room-settings');
  await alice2.click(`${card(alpha)} [data-testid=room-delete]`);
  await alice2.waitForSelector('[data-testid=delete-dialog] [data-testid=confirm-delete]');
  await shot(alice2, 'delete-dialog');
  await alice2.click('[data-testid=cancel-delete]');
  check(await alice2.locator(card(alpha)).count() === 1, 'Cancel keeps the room');
  await alice2.click(`${card(alpha)} [data-testid=room-delete]`);
  await alice2.click('[data-testid=confirm-delete]');
  check(await web.waitTrue(alice2, (s) => !document.querySelector(s), card(alpha)),
        'Delete, confirmed, removes the card');
  await alice.click('#room-settings button[type=submit]');
  check(await textMatches(alice, '#room-settings .error', /no room of this name \(any more\)/),
        'saving the settings of a room deleted meanwhile fails in words');
  await alice.click('#room-settings button:has-text("Cancel")');

  // join by link or name
  await alice.fill('#open input[name=link]', 'not a link!');
  await alice.click('#open button[type=submit]');
  check(await textMatches(alice, '#open .error', /not a meeting link or a room name/),
        'joining by something that is no link is refused in words');
  await alice.fill('#open input[name=link]', newLink);
  await alice.click('#open button[type=submit]');
  check(await visible(alice, '[data-testid=prejoin]')
        && await alice.getAttribute('[data-testid=link-key]', 'data-state') === 'key'
        && !alice.url().includes('#'),
        'joining by the link opens the meeting with its key (out of the address bar)');
  await alice.goto(`${base}/`);
  await alice.fill('#open input[name=link]', beta.toUpperCase());
  await alice.click('#open button[type=submit]');
  check(await pathMatches(alice, new RegExp(`^/r/${beta}$`)), 'or by its name');
  await alice.goto(`${base}/`);
  await alice.click(`${card(beta)} [data-testid=room-join]`);
  check(await pathMatches(alice, new RegExp(`^/r/${beta}$`)) && await visible(alice, '[data-testid=prejoin]')
        && await alice.getAttribute('[data-testid=link-key]', 'data-state') === 'key',
        'a card\'s Join opens its meeting, with the key this tab keeps');

  // -------------------------------------------------------------- account
  await alice.goto(`${base}/`);
  await alice.click('[data-testid=nav-account]');
  await alice.waitForSelector('#profile');
  await alice.fill('#profile input[name=name]', 'A');
  await alice.click('#profile button[type=submit]');
  check(await textMatches(alice, '#profile .error', /^Name must be at least 2 characters\.$/),
        'a one-letter name is refused in words');
  await alice.fill('#profile input[name=name]', 'Alice Liddell');
  await alice.click('#profile button[type=submit]');
  check(await textMatches(alice, '#profile .done', /Saved/)
        && await textMatches(alice, '[data-testid=who-name]', /^Alice Liddell$/),
        'a new name is saved and shown');
  await shot(alice, 'account', { phone: true });

  // another browser of Alice's, on her account page
  const other = await person(browser, 'Alice elsewhere', t);
  await other.goto(`${base}/account`);
  check(await pathMatches(other, /^\/signin\?next=%2Faccount$/)
        && await visible(other, '[data-testid=signin-needed]'),
        'signed out, /account sends to sign-in');
  await signIn(other, email('Alice'));
  check(await pathMatches(other, /^\/account$/) && await visible(other, '#profile'),
        'and signing in comes back to /account');

  await alice.fill('#password input[name=current]', 'not my password at all');
  await alice.fill('#password input[name=next]', NEW_PASSWORD);
  await alice.fill('#password input[name=again]', NEW_PASSWORD);
  await alice.click('#password button[type=submit]');
  check(await textMatches(alice, '#password .error', /The current password is wrong\./),
        'a wrong current password is refused in words');
  await alice.fill('#password input[name=current]', web.PASSWORD);
  await alice.fill('#password input[name=next]', NEW_PASSWORD);
  await alice.fill('#password input[name=again]', NEW_PASSWORD);
  await alice.click('#password button[type=submit]');
  check(await textMatches(alice, '#password .done', /other session of this account was signed out; this one stays/),
        'the password is changed');

  // the other session has ended: its next request sends it to sign-in, then back
  await other.click('[data-testid=nav-rooms]');
  check(await visible(other, '[data-testid=session-ended]') && await pathMatches(other, /^\/$/),
        'the other browser\'s session ended with the password change: sign-in says so');
  await shot(other, 'session-ended');
  await signIn(other, email('Alice'), NEW_PASSWORD);
  check(await visible(other, '[data-testid=dashboard]'), 'signed in again with the new password');
  await other.goto(`${base}/account`);
  await other.waitForSelector('#profile');
  await alice.reload();
  check(await visible(alice, '#profile') && await alice.locator('#login').count() === 0,
        'this browser stayed signed in through the password change');

  // an expired session on a page: to sign-in, then back to that page
  // (the access token refused as expired, the refresh cookie gone with it)
  const unexpire = await expireAccess(other);
  await other.context().clearCookies();
  await other.click('[data-testid=nav-account]');
  await other.fill('#profile input[name=name]', 'Alice L.');
  await other.click('#profile button[type=submit]');
  check(await pathMatches(other, /^\/signin\?next=%2Faccount$/)
        && await visible(other, '[data-testid=session-ended]'),
        'an expired session goes to sign-in, remembering the page');
  await signIn(other, email('Alice'), NEW_PASSWORD);
  check(await pathMatches(other, /^\/account$/), 'and comes back to it after signing in');
  await unexpire();

  // two tabs refreshing at once: one after the other, both stay signed in
  const t1 = await tab(other, t);
  const t2 = await tab(other, t);
  await Promise.all([t1.goto(`${base}/`), t2.goto(`${base}/`)]);
  const both = await Promise.all([visible(t1, '[data-testid=dashboard]'),
                                  visible(t2, '[data-testid=dashboard]')]);
  check(both[0] && both[1] && count(t1, REFRESH) === 1 && count(t2, REFRESH) === 1,
        'two new tabs refreshing at once both end signed in (refreshes one after the other)',
        `${both} ${count(t1, REFRESH)} ${count(t2, REFRESH)}`);
  await t2.close();

  // sign out everywhere
  await alice.click('[data-testid=sign-out-everywhere]');
  await shot(alice, 'sign-out-everywhere');
  await alice.click('[data-testid=confirm-everywhere]');
  check(await visible(alice, '#login') && await pathMatches(alice, /^\/$/),
        'sign out everywhere: this browser is signed out');
  // (its dashboard asks for the rooms every few seconds)
  check(await visible(t1, '[data-testid=session-ended]'),
        'and so is every other session of the account');
  await alice2.reload();
  check(await visible(alice2, '#login'), 'the other tab too, at its next load');

  check(t.problems.length === 0, 'no CSP violation or page error', t.problems.join(' | '));
} catch (e) {
  check(false, 'the browser run', e.stack ?? String(e));
} finally {
  await browser.close();
}

process.exit(t.failed ? 1 : 0);
