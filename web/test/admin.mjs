// The superadmin's console as a person uses it, in Debian's chromium
// against nginx + the module + LiveKit (t/913). Ada is a superadmin
// (ADMIN_EMAIL, made by the .t with the tests' password); Bob and Carol
// have accounts and meet in an E2EE room and a plain one:
//
//   a non-superadmin: no link, no page, the API refuses;
//   overview: people connected and rooms active now (live), and a stale
//     token: many parallel 401s, exactly one refresh, every page's data;
//     LiveKit failing is said in words;
//   rooms: the E2EE dot green or red, owner, people now; a room's live
//     participants with each track's encryption (GCM/custom or NONE);
//     the E2EE switch: the dot, the owner's card badge and the
//     "unencrypted in an E2EE room" warning follow it; mute and remove,
//     each seen by its target; close, the meeting ends; a room that does
//     not exist is said in words;
//   users: superadmin role given (the user's next load shows the console),
//     deactivation (signed out at once, cannot sign in, in words),
//     activation; a failing list is said in words;
//   settings: invite only, invite codes created, copied (the link opens
//     sign-up with the code filled in, and works once), revoked; a bad
//     code refused in words; registration closed; Bedrud's settings this
//     server does not act on are shown as unsupported.
//
// Prints "ok ..." / "not ok ..." lines; exits 1 if a check failed.
// SCREENSHOTS=<dir> keeps screenshots at desktop and phone size.
//
// Usage: ADMIN_EMAIL=... node admin.mjs <base url>

import * as web from './lib.mjs';
import {
  REFRESH, apiFromPage, count, email, expireAccess, pathMatches, person, shot, signIn, tab, textMatches,
  visible,
} from './pages.mjs';

const base = process.argv[2];
const adminEmail = process.env.ADMIN_EMAIL;
const t = web.checker();
const { check } = t;
const browser = await web.launch();

const row = (name) => `[data-testid=admin-room][data-room="${name}"]`;
const userRow = (address) => `[data-testid=admin-user][data-email="${address}"]`;
const attrIs = (page, selector, attr, value, timeout = 15000) => web.waitTrue(page,
  ([s, a, v]) => document.querySelector(s)?.getAttribute(a) === v, [selector, attr, value], timeout);

async function openRoom(ada, name) {
  await ada.click('[data-testid=admin-tab-rooms]');
  await ada.waitForSelector(row(name));
  await ada.click(`${row(name)} [data-testid=admin-room-link]`);
  await ada.waitForSelector(`[data-testid=admin-room-detail][data-room="${name}"]`);
}

try {
  if (!adminEmail) throw new Error('ADMIN_EMAIL is not set');

  // Bob and Carol: accounts, not superadmins, each in a meeting
  const bob = await person(browser, 'Bob', t);
  await web.signUp(bob, base, 'Bob');
  check(await bob.locator('[data-testid=nav-admin]').count() === 0, 'Bob has no admin link');
  await bob.goto(`${base}/admin`);
  check(await visible(bob, '[data-testid=admin-refused]'), 'Bob opening /admin gets no console');
  const denied = await apiFromPage(bob, 'GET', '/api/admin/online-count');
  check(denied.status === 403, 'and the API refuses him', JSON.stringify(denied));
  await bob.goto(`${base}/`);
  const enc = await web.createRoom(bob, { name: `enc-${web.run}`, e2ee: true });

  const carol = await person(browser, 'Carol', t);
  await web.signUp(carol, base, 'Carol');
  const plain = await web.createRoom(carol, { name: `plain-${web.run}`, e2ee: false });

  // Ada
  const ada = await person(browser, 'Ada', t);
  await ada.goto(`${base}/`);
  await signIn(ada, adminEmail);
  await ada.waitForSelector('[data-testid=dashboard]');
  await ada.click('[data-testid=nav-admin]');
  await ada.waitForSelector('[data-testid=admin-overview]');
  check(await textMatches(ada, '[data-testid=stat-active-rooms] .stat-value', /^2$/, 20000),
        'overview: 2 rooms active now');
  const online = Number(await ada.textContent('[data-testid=stat-online] .stat-value'));
  check(online >= 2, 'overview: the people connected now are counted', String(online));
  check(await textMatches(ada, '[data-testid=live-rooms]', new RegExp(enc.room))
        && await textMatches(ada, '[data-testid=live-rooms]', new RegExp(plain.room)),
        'overview: both meetings are listed as going on');
  await shot(ada, 'admin-overview', { phone: true });

  // a stale access token: the overview's parallel requests all get 401,
  // exactly one refresh serves them all
  await ada.click('[data-testid=admin-tab-users]');
  await ada.waitForSelector('[data-testid=admin-users] table');
  await ada.waitForTimeout(2500);            // the overview's data is stale by now
  const unexpire = await expireAccess(ada);
  const r0 = ada.requests.length;
  const a0 = ada.answers.length;
  await ada.click('[data-testid=admin-tab-overview]');
  await ada.waitForSelector('[data-testid=admin-overview]');
  const all = await web.waitTrue(ada, () => [...document.querySelectorAll('.stat-value')]
    .every((e) => /^\d+$/.test(e.textContent ?? '')), null, 15000);
  const unauthorized = ada.answers.slice(a0).filter((a) => a.startsWith('401 ')).length;
  check(all && unauthorized >= 3 && count(ada, REFRESH, r0) === 1,
        'many parallel 401s, exactly one refresh, and every figure arrives',
        `401s: ${unauthorized}, refreshes: ${count(ada, REFRESH, r0)}, ${ada.answers.slice(a0).join(', ')}`);
  await unexpire();

  // LiveKit failing, in words
  await ada.route('**/api/admin/livekit/stats', (r) => r.fulfill({
    status: 502, contentType: 'application/json', body: '{"error":"LiveKit is unavailable"}' }));
  await ada.reload();
  check(await textMatches(ada, '[data-testid=livekit-error]', /media server \(LiveKit\) is not answering/),
        'overview: LiveKit not answering is said in words');
  await ada.unroute('**/api/admin/livekit/stats');

  // rooms: dots, owners, people now
  await ada.click('[data-testid=admin-tab-rooms]');
  await ada.waitForSelector(row(enc.room));
  check(await ada.getAttribute(`${row(enc.room)} [data-testid=e2ee-dot]`, 'data-state') === 'on'
        && await ada.getAttribute(`${row(plain.room)} [data-testid=e2ee-dot]`, 'data-state') === 'off',
        'rooms: the E2EE dot is green for the E2EE room, red for the plain one');
  check(await textMatches(ada, `${row(enc.room)} td`, /^Bob$/)
        && await textMatches(ada, `${row(plain.room)} td`, /^Carol$/),
        'rooms: the owners by name');
  check(await textMatches(ada, `${row(enc.room)} [data-testid=admin-room-now]`, /^1$/)
        && await textMatches(ada, `${row(plain.room)} [data-testid=admin-room-now]`, /^1$/),
        'rooms: one person in each now');
  await shot(ada, 'admin-rooms', { phone: true });

  // the E2EE room, live: Bob's tracks are encrypted
  await openRoom(ada, enc.room);
  const bobRow = '[data-testid=live-participant][data-name=Bob]';
  check(await visible(ada, `${bobRow} [data-testid=track][data-source=CAMERA]`, 20000)
        && await visible(ada, `${bobRow} [data-testid=track][data-source=MICROPHONE]`),
        'room detail: Bob with his camera and microphone');
  const encs = await ada.$$eval(`${bobRow} [data-testid=track]`, (ts) => ts.map((x) => x.dataset.encryption));
  check(encs.length >= 2 && encs.every((x) => x === 'GCM' || x === 'CUSTOM'),
        'room detail: each of Bob\'s tracks is encrypted end to end', encs.join());
  await shot(ada, 'admin-room-e2ee', { phone: true });

  // mute: Bob is told
  await ada.click(`${bobRow} [data-testid=admin-mute]`);
  check(await textMatches(bob, '[data-testid=notice]', /A moderator muted your microphone/),
        'mute: Bob is told a moderator muted his microphone');

  // the plain room: Carol's tracks are not encrypted; E2EE switched on
  await openRoom(ada, plain.room);
  const carolRow = '[data-testid=live-participant][data-name=Carol]';
  await ada.waitForSelector(`${carolRow} [data-testid=track]`, { timeout: 20000 });
  const plainEnc = await ada.$$eval(`${carolRow} [data-testid=track]`, (ts) => ts.map((x) => x.dataset.encryption));
  check(plainEnc.length >= 1 && plainEnc.every((x) => x === 'NONE')
        && await ada.getAttribute('[data-testid=admin-room-detail] [data-testid=e2ee-dot]', 'data-state') === 'off'
        && await ada.locator('[data-testid=unencrypted-warning]').count() === 0,
        'room detail: the plain room\'s dot is red and Carol\'s tracks are not encrypted (no warning)',
        plainEnc.join());
  const carolDash = await tab(carol, t);
  await carolDash.goto(`${base}/`);
  const badge = `[data-testid=room-card][data-room="${plain.room}"] [data-testid=e2ee-badge]`;
  await carolDash.waitForSelector(badge);
  check(await carolDash.getAttribute(badge, 'data-state') === 'off', 'Carol\'s card: not encrypted');

  await ada.click('[data-testid=admin-e2ee-toggle]');
  check(await attrIs(ada, '[data-testid=admin-room-detail] [data-testid=e2ee-dot]', 'data-state', 'on')
        && await visible(ada, `${carolRow}[data-problem=true] [data-testid=unencrypted-warning]`),
        'E2EE switched on: the dot turns green, and Carol (in since before) is flagged as unencrypted');
  check(await attrIs(carolDash, badge, 'data-state', 'on', 20000),
        'the owner\'s card badge follows: Encrypted');
  await shot(ada, 'admin-room-mixed', { phone: true });
  await ada.click('[data-testid=admin-e2ee-toggle]');
  check(await attrIs(ada, '[data-testid=admin-room-detail] [data-testid=e2ee-dot]', 'data-state', 'off')
        && await attrIs(carolDash, badge, 'data-state', 'off', 20000),
        'switched off again: the dot turns red and the badge follows');
  await ada.click('[data-testid=admin-tab-rooms]');
  check(await attrIs(ada, `${row(plain.room)} [data-testid=e2ee-dot]`, 'data-state', 'off'),
        'the rooms table\'s dot too');
  await carolDash.close();

  // remove Carol
  await openRoom(ada, plain.room);
  await ada.click(`${carolRow} [data-testid=admin-kick]`);
  await ada.click('[data-testid=confirm-kick]');
  check(await textMatches(carol, '[data-testid=ended]', /A moderator removed you/),
        'remove: Carol is told a moderator removed her');
  check(await visible(ada, '[data-testid=nobody]', 20000), 'and the room detail shows nobody');

  // close Bob's room: his meeting ends
  await ada.click('[data-testid=admin-tab-rooms]');
  await ada.click(`${row(enc.room)} [data-testid=admin-room-close]`);
  await shot(ada, 'admin-close-dialog');
  await ada.click('[data-testid=confirm-close]');
  check(await textMatches(bob, '[data-testid=ended]', /The meeting was closed/),
        'close: Bob\'s meeting ends, and he is told');
  check(await textMatches(ada, `${row(enc.room)} td`, /^Closed$/), 'the room is listed as closed');

  // a room that does not exist
  await ada.goto(`${base}/admin/rooms/00000000-0000-4000-8000-000000000000`);
  check(await textMatches(ada, '[data-testid=detail-error]', /no room of this name/),
        'a room that does not exist is said in words');

  // ---------------------------------------------------------------- users
  await ada.click('[data-testid=admin-tab-users]');
  await ada.waitForSelector(userRow(email('Carol')));
  check(await ada.isDisabled(`${userRow(adminEmail)} [data-testid=user-deactivate]`)
        && await ada.isDisabled(`${userRow(adminEmail)} [data-testid=user-superadmin]`),
        'Ada cannot deactivate or demote herself');
  await ada.click(`${userRow(email('Carol'))} [data-testid=user-superadmin]`);
  check(await attrIs(ada, userRow(email('Carol')), 'data-superadmin', 'true'),
        'Carol is made a superadmin');
  await carol.goto(`${base}/`);
  check(await visible(carol, '[data-testid=nav-admin]'),
        'at her next page load Carol has the admin link (a fresh token carries the role)');
  await carol.click('[data-testid=nav-admin]');
  check(await visible(carol, '[data-testid=admin-overview] [data-testid=stat-online]'),
        'and the console works for her');

  await ada.click(`${userRow(email('Bob'))} [data-testid=user-deactivate]`);
  await shot(ada, 'admin-deactivate');
  await ada.click('[data-testid=confirm-deactivate]');
  check(await attrIs(ada, userRow(email('Bob')), 'data-active', 'false'), 'Bob is deactivated');
  await shot(ada, 'admin-users', { phone: true });
  await bob.goto(`${base}/account`);
  check(await pathMatches(bob, /^\/signin\?next=%2Faccount$/), 'Bob is signed out at once');
  await signIn(bob, email('Bob'));
  check(await textMatches(bob, '#login .error', /wrong, or the account is deactivated/),
        'and cannot sign in, in words');
  await ada.click(`${userRow(email('Bob'))} [data-testid=user-activate]`);
  check(await attrIs(ada, userRow(email('Bob')), 'data-active', 'true'), 'Bob is activated again');
  await signIn(bob, email('Bob'));
  check(await pathMatches(bob, /^\/account$/), 'and signs in, back on the page he was on');

  await ada.route(/\/api\/admin\/users\?/, (r) => r.fulfill({
    status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' },
    body: '{"error":"service unavailable"}' }));
  await ada.reload();
  check(await textMatches(ada, '[data-testid=users-error]', /cannot reach its database/),
        'users: a server that cannot answer is said in words');
  await ada.unroute(/\/api\/admin\/users\?/);

  // ------------------------------------------------------------- settings
  await ada.goto(`${base}/admin/settings`);
  await ada.waitForSelector('#admin-switches');
  await ada.click('[data-testid=unsupported] summary');
  check(await visible(ada, '[data-testid=unsupported-setting][data-field=googleClientId] .tag')
        && await ada.locator('[data-testid=unsupported-setting][data-field=registrationEnabled]').count() === 0,
        'settings: Bedrud\'s settings this server ignores are shown as unsupported, the others not');
  await ada.check('#admin-switches input[name=tokenRegistrationOnly]');
  await ada.click('#admin-switches button[type=submit]');
  check(await textMatches(ada, '#admin-switches .done', /Saved/), 'invite only: saved');
  await ada.reload();
  await ada.waitForSelector('#admin-switches');
  check(await ada.isChecked('#admin-switches input[name=tokenRegistrationOnly]')
        && await ada.isChecked('#admin-switches input[name=registrationEnabled]'),
        'and still on after a reload: the server stored it');

  await ada.fill('#invite-create input[name=hours]', '9000');
  await ada.click('#invite-create button[type=submit]');
  check(await textMatches(ada, '#invite-create .error', /at most 8760/),
        'an invite valid too long is refused in words');
  for (const who of ['erin', 'frank']) {
    await ada.fill('#invite-create input[name=email]', email(who));
    await ada.fill('#invite-create input[name=hours]', '24');
    await ada.click('#invite-create button[type=submit]');
    await textMatches(ada, '#invite-create .done', /created/);
    await ada.waitForTimeout(300);
  }
  await ada.waitForFunction(() => document.querySelectorAll('[data-testid=invite]').length >= 2);
  const tokens = await ada.$$eval('[data-testid=invite]', (rs) => rs.map((r) => r.dataset.token));
  await ada.click(`[data-testid=invite][data-token="${tokens[0]}"] [data-testid=invite-copy]`);
  const inviteLink = await ada.evaluate(() => navigator.clipboard.readText());
  check(inviteLink === `${base}/signin?invite=${tokens[0]}`, 'Copy link: the invite link', inviteLink);
  await shot(ada, 'admin-settings', { phone: true });

  const erin = await person(browser, 'Erin', t);
  await erin.goto(`${base}/`);
  await erin.waitForSelector('#register input[name=inviteToken]');
  await erin.fill('#register input[name=name]', 'Erin');
  await erin.fill('#register input[name=email]', email('Erin'));
  await erin.fill('#register input[name=password]', web.PASSWORD);
  await erin.fill('#register input[name=inviteToken]', 'not-a-code');
  await erin.click('#register button[type=submit]');
  check(await textMatches(erin, '#register .error', /invite code cannot be used/),
        'invite only: a wrong code is refused in words');
  await erin.goto(inviteLink);
  check(await erin.inputValue('#register input[name=inviteToken]') === tokens[0],
        'the invite link fills in the code');
  await erin.fill('#register input[name=name]', 'Erin');
  await erin.fill('#register input[name=email]', email('Erin'));
  await erin.fill('#register input[name=password]', web.PASSWORD);
  await erin.click('#register button[type=submit]');
  check(await visible(erin, '[data-testid=dashboard]'), 'and with it Erin has an account');
  await ada.reload();
  check(await textMatches(ada, `[data-testid=invite][data-token="${tokens[0]}"]`, /Used/),
        'the invite is shown as used');
  await ada.click(`[data-testid=invite][data-token="${tokens[1]}"] [data-testid=invite-revoke]`);
  check(await web.waitTrue(ada, (tk) => !document.querySelector(`[data-testid=invite][data-token="${tk}"]`),
                           tokens[1]), 'Revoke removes an invite');

  await ada.uncheck('#admin-switches input[name=tokenRegistrationOnly]');
  await ada.uncheck('#admin-switches input[name=registrationEnabled]');
  await ada.click('#admin-switches button[type=submit]');
  await textMatches(ada, '#admin-switches .done', /Saved/);
  const gus = await person(browser, 'Gus', t);
  await gus.goto(`${base}/`);
  check(await visible(gus, '#register-closed') && await gus.locator('#register').count() === 0,
        'registration closed: the sign-up form says so instead');
  await ada.check('#admin-switches input[name=registrationEnabled]');
  await ada.click('#admin-switches button[type=submit]');
  await textMatches(ada, '#admin-switches .done', /Saved/);

  // signing out
  await ada.click('[data-testid=sign-out]');
  check(await visible(ada, '#login'), 'Sign out: back to the sign-in page');
  await ada.goto(`${base}/admin/users`);
  check(await pathMatches(ada, /^\/signin\?next=%2Fadmin%2Fusers$/), 'and the console needs signing in again');

  check(t.problems.length === 0, 'no CSP violation or page error', t.problems.join(' | '));
} catch (e) {
  check(false, 'the browser run', e.stack ?? String(e));
} finally {
  await browser.close();
}

process.exit(t.failed ? 1 : 0);
