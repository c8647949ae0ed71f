// Steps shared by the browser tests of the pages around the meetings
// (dashboard.mjs, admin.mjs): screenshots at desktop and phone size, the
// API requests a page made, signing in, text on the page. Built on
// lib.mjs (its person() records every request in page.requests).

import { mkdirSync } from 'node:fs';
import * as web from './lib.mjs';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const shots = process.env.SCREENSHOTS;
if (shots) mkdirSync(shots, { recursive: true });

/** A screenshot of the whole page, at desktop size, and at phone size too. */
export async function shot(page, name, { phone = false } = {}) {
  if (!shots) return;
  await page.waitForTimeout(300);          // transitions, fonts
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  if (!phone) return;
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${shots}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize(DESKTOP);
}

/** Also records every API answer's status: page.answers ["401 GET /api/..."]. */
export async function person(browser, name, t) {
  const page = await web.person(browser, name, t);
  page.answers = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) {
      page.answers.push(`${r.status()} ${r.request().method()} ${u.pathname}`);
    }
  });
  return page;
}

/** Another tab of the same browser (cookies shared, sessionStorage not). */
export async function tab(page, t) {
  const p = await page.context().newPage();
  p.who = `${page.who} (tab)`;
  p.requests = [];
  p.answers = [];
  p.on('pageerror', (e) => t.problems.push(`${p.who}: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) {
      t.problems.push(`${p.who}: ${m.text()}`);
    }
  });
  p.on('request', (r) => p.requests.push(`${r.method()} ${r.url()} ${r.postData() ?? ''}`));
  p.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) {
      p.answers.push(`${r.status()} ${r.request().method()} ${u.pathname}`);
    }
  });
  return p;
}

/** How many requests of the page match `re` (from index `from` on). */
export const count = (page, re, from = 0) =>
  page.requests.slice(from).filter((r) => re.test(r)).length;

export const REFRESH = /^POST \S+\/api\/auth\/refresh /;

export const email = (name) => `${name.toLowerCase()}-${web.run}@example.com`;

/** The sign-in form of the page on screen. */
export async function signIn(page, address, password = web.PASSWORD) {
  await page.waitForSelector('#login');
  await page.fill('#login input[name=email]', address);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
}

/** The text of `selector` comes to match `re`. */
export const textMatches = (page, selector, re, timeout = 15000) =>
  web.waitTrue(page, ([s, src, flags]) => {
    const r = new RegExp(src, flags);
    return [...document.querySelectorAll(s)].some((e) => r.test(e.textContent ?? ''));
  }, [selector, re.source, re.flags], timeout);

/** The path (and query) of the page comes to match `re`. */
export const pathMatches = (page, re, timeout = 15000) =>
  web.waitTrue(page, ([src]) => new RegExp(src).test(location.pathname + location.search),
               [re.source], timeout);

export const visible = (page, selector, timeout = 15000) =>
  page.waitForSelector(selector, { state: 'visible', timeout }).then(() => true, () => false);

/** An API call from the page with its own access token (or none), as fetch makes it. */
export const apiFromPage = (page, method, path, body) => page.evaluate(async ([m, p, b]) => {
  const token = sessionStorage.getItem('bedrud.access');
  const res = await fetch(p, {
    method: m,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}),
               ...(b ? { 'Content-Type': 'application/json' } : {}) },
    body: b ? JSON.stringify(b) : undefined,
  });
  return { status: res.status, body: await res.text() };
}, [method, path, body]);

/**
 * The page's access token stops being accepted, as when it expires: every
 * API request that carries it gets the server's 401 ("Invalid token"); a
 * token got by a refresh passes. Returns the undo.
 */
export async function expireAccess(page) {
  const token = await page.evaluate(() => sessionStorage.getItem('bedrud.access'));
  if (!token) throw new Error('expireAccess: the page holds no access token');
  const handler = (route) => (route.request().headers().authorization === `Bearer ${token}`
    ? route.fulfill({ status: 401, contentType: 'application/json',
                      body: '{"error":"Invalid token"}' })
    : route.fallback());
  await page.route('**/api/**', handler);
  return () => page.unroute('**/api/**', handler);
}
