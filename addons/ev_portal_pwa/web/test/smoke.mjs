// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Smoke test of the built app (dist/) in headless Chromium: a tiny node
// server serves dist/ at /testdb/ev/app/ and a mocked API at
// /testdb/ev/api/v1/ (the mock lives here only; the real API is tested
// end to end against trytond elsewhere).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { encodePng } from '../tools/icons.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const APP = '/testdb/ev/app/';
const API = '/testdb/ev/api/v1/';
const HERE = { latitude: 55.7558, longitude: 37.6173 };
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};
// EV_SCREENSHOTS=<folder> saves the main screens there (for docs/).
const SHOTS = process.env.EV_SCREENSHOTS || '';
const TILE = encodePng(256, Buffer.alloc(256 * 256 * 4, 0xdd));

// Unsorted on purpose: the app sorts by distance from the position.
const STATIONS = [
  {
    id: 1, name: 'Far Station', address: 'Far street 1',
    latitude: 55.9, longitude: 37.8, partner: 'ACME', status: 'available',
    opening_hours: '24/7',
    connectors: [
      { id: 11, number: 1, type: 'CCS2', power_w: 150000, status: 'available' },
      { id: 12, number: 2, type: 'Type 2', power_w: 22000, status: 'charging' },
    ],
  },
  {
    id: 2, name: 'Near Station', address: 'Near street 2',
    latitude: 55.757, longitude: 37.62, partner: 'Volt LLC',
    status: 'charging', opening_hours: 'Mo-Fr 08:00-20:00',
    connectors: [
      { id: 21, number: 1, type: 'Type 2', power_w: 22000, status: 'charging' },
    ],
  },
  {
    id: 3, name: 'Middle Station', address: 'Middle street 3',
    latitude: 55.8, longitude: 37.65, partner: 'ACME', status: 'faulted',
    opening_hours: '',
    connectors: [
      { id: 31, number: 1, type: 'CHAdeMO', power_w: 50000, status: 'faulted' },
    ],
  },
];
const PRICE = {
  tariff: 1, tariff_name: 'Standard', tariff_version: 1, currency: 'RUB',
  lines: [{
    kind: 'energy', label: 'Energy', unit: 'kwh', unit_label: 'kWh',
    unit_price: '25.00', quantity: '0', amount: '0.00',
  }],
  net: '0.00', tax: '0.00', total: '0.00',
};

// The client's account (GET account, history, subscriptions).
const ACCOUNT = {
  currency: 'RUB', balance: '1250.50', available: '1100.00',
  payment_method: 'balance', card_saved: false, payments: [], invoices: [],
};
const HISTORY = {
  sessions: [{
    id: 7, number: 'S-7', station: { id: 2, name: 'Near Station' },
    connector: { id: 21, number: 1, type: 'type2' },
    started_at: '2026-11-20T10:00:00Z', stopped_at: '2026-11-20T11:00:00Z',
    energy_wh: 15500, amount: '387.50', currency: 'RUB',
    payment_method: 'balance', billing_state: 'invoiced', refunded: '0',
    invoice: { id: 41, number: 'INV-41' },
  }],
  payments: [{
    id: 5, kind: 'topup', date: '2026-11-19', amount: '2000.00',
    currency: 'RUB', state: 'succeeded', session: null, invoice: null,
  }],
};
const PLAN = {
  id: 3, name: 'Volt 10', description: '', fee: '990', currency: 'RUB',
  period: 'Monthly', included_energy_wh: 10000, included_minutes: 0,
  discount_rate: '0.1', waive_start_fee: true, partners: [], stations: [],
};

const state = {
  offline: false,
  noTiles: false,
  requests: [],
  sessions: new Map(),
  subscriptions: [],
  // notify: the feed of GET notifications, and a comment added to sw.js
  // (a new version of the service worker).
  notifications: [],
  notifySeen: '',
  swSuffix: '',
  profile: {
    email: 'ann@example.com', name: 'Ann', phone: '', language: 'ru',
    theme: 'light', sounds: false,
  },
};

// Charging: the quote, the start request, the session it becomes and its
// stop. Each GET sessions/current moves the session on.
const charging = { started: null, session: null, stopAsked: false };

function quoteFor(query) {
  const connector = Number(query.get('connector'));
  const code = query.get('code') || '';
  const promo = !code ? null : code === 'WELCOME'
    ? { code, valid: true, reserved: false, description: '10% off' }
    : { code, valid: false, reason: `Код ${code} не найден.` };
  const total = code === 'WELCOME' ? '225.00' : '250.00';
  return {
    station: { id: 1, name: 'Far Station' },
    connector: { id: connector, number: 1, status: 'available' },
    energy_wh: 10000, minutes: 60,
    price: { ...PRICE, total },
    discounts: code === 'WELCOME' ? ['WELCOME'] : [],
    promo,
    payment: { method: 'balance', currency: 'RUB', available: '500.00' },
    may_start: connector === 11,
    reason: connector === 11 ? null : 'Разъём занят.',
  };
}

function currentSession() {
  if (charging.session) {
    const session = charging.session;
    if (charging.stopAsked) {
      charging.session = null;
      charging.stopAsked = false;
      return null;
    }
    session.energy_wh += 1500;
    session.duration_s += 3;
    session.cost = (session.energy_wh / 1000 * 25).toFixed(2);
    return session;
  }
  if (charging.started) {
    const { connector } = charging.started;
    charging.started = null;
    charging.session = {
      id: 501, state: 'active', station: { id: 1, name: 'Far Station' },
      connector: { id: connector, number: 1 }, started_at: '2026-12-01T10:00:00Z',
      energy_wh: 1000, power_w: 22000, duration_s: 60, cost: '25.00',
      currency: 'RUB', spending_limit: '500.00', stopping: false,
    };
    return {
      id: null, state: 'starting', station: { id: 1, name: 'Far Station' },
      connector: { id: connector, number: 1 },
    };
  }
  return null;
}

function cookies(request) {
  return Object.fromEntries((request.headers.cookie || '').split(';')
    .map((part) => part.trim().split('=')).filter(([key]) => key));
}

function send(response, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json', 'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(text);
}

function error(response, status, code, message) {
  send(response, status, { error: { code, message } });
}

async function readJson(request) {
  let text = '';
  for await (const chunk of request) {
    text += chunk;
  }
  return text ? JSON.parse(text) : {};
}

async function api(request, response, path, url) {
  const jar = cookies(request);
  const session = state.sessions.get(jar.ev_session);
  state.requests.push({
    method: request.method, path, query: url.search,
    csrf: request.headers['x-csrf-token'] || '', cookie: jar.ev_csrf || '',
  });
  if (request.method !== 'GET') {
    if (jar.ev_csrf && request.headers['x-csrf-token'] !== jar.ev_csrf) {
      error(response, 403, 'csrf', 'CSRF token mismatch');
      return;
    }
  }
  const body = request.method === 'GET' ? {} : await readJson(request);
  const route = `${request.method} ${path}`;
  if (route === 'GET config' && state.noTiles) {
    send(response, 200, {});
  } else if (route === 'GET config') {
    send(response, 200, {
      tile_url: `http://${request.headers.host}/tiles/{z}/{x}/{y}.png`,
      tile_attribution: 'Test tiles',
    });
  } else if (route === 'GET stations') {
    send(response, 200, { stations: STATIONS });
  } else if (request.method === 'GET' && /^stations\/\d+$/.test(path)) {
    const station = STATIONS.find((s) => `stations/${s.id}` === path);
    if (!station) {
      error(response, 404, 'not_found', 'No such station');
      return;
    }
    send(response, 200, session ? { ...station, price: PRICE } : station);
  } else if (request.method === 'GET'
      && /^stations\/\d+\/usage$/.test(path)) {
    // Busy on weekday mornings (8:00 to 12:00), a session a day.
    send(response, 200, {
      station: Number(path.split('/')[1]), weeks: 8, timezone: 'Europe/Moscow',
      busy: Array.from({ length: 7 }, (_, day) => Array.from(
        { length: 24 }, (__, hour) => (
          day < 5 && hour >= 8 && hour < 12 ? 0.5 : 0.0625))),
      sessions_30d: 30,
      energy_wh_30d: 450000,
      daily: Array.from({ length: 30 }, (_, index) => ({
        date: new Date(Date.UTC(2026, 10, 1 + index)).toISOString()
          .slice(0, 10),
        sessions: 1, energy_wh: 15000,
      })),
    }, { 'Cache-Control': 'public, max-age=300' });
  } else if (route === 'POST auth/login') {
    if (body.email !== state.profile.email || body.password !== 'secret123') {
      error(response, 401, 'msg_login_wrong', 'Неверный e-mail или пароль.');
      return;
    }
    const token = randomBytes(8).toString('hex');
    const csrf = randomBytes(8).toString('hex');
    state.sessions.set(token, state.profile.email);
    send(response, 200, { profile: state.profile, csrf_token: csrf }, {
      'Set-Cookie': [
        `ev_session=${token}; HttpOnly; Path=/testdb/ev/; SameSite=Lax`,
        `ev_csrf=${csrf}; Path=/testdb/ev/; SameSite=Lax`,
      ],
    });
  } else if (route === 'POST auth/register') {
    send(response, 201, { email: body.email });
  } else if (route === 'POST auth/confirm') {
    if (body.token !== 'good-token') {
      error(response, 400, 'msg_token_invalid', 'Ссылка устарела.');
      return;
    }
    send(response, 200, { email_valid: true });
  } else if (!session) {
    error(response, 401, 'not_logged_in', 'Войдите.');
  } else if (route === 'GET account') {
    send(response, 200, ACCOUNT);
  } else if (route === 'GET history') {
    send(response, 200, HISTORY);
  } else if (route === 'POST payment-method') {
    if (body.method === 'card' && !ACCOUNT.card_saved) {
      error(response, 400, 'BillingError', 'Сначала сохраните карту.');
      return;
    }
    ACCOUNT.payment_method = body.method;
    send(response, 200, { payment_method: body.method });
  } else if (route === 'POST cards') {
    state.card = true;
    send(response, 201, {
      url: `http://${request.headers.host}/checkout/card`,
    });
  } else if (route === 'POST topup') {
    state.topup = body.amount;
    send(response, 201, {
      payment: 9, amount: `${body.amount}.00`,
      url: `http://${request.headers.host}/checkout/9`,
    });
  } else if (route === 'GET subscriptions') {
    send(response, 200, {
      offers: [PLAN], subscriptions: state.subscriptions,
    });
  } else if (route === 'POST subscriptions') {
    const bought = {
      id: 12, number: 'SUB-12', plan: PLAN, state: 'running',
      start_date: '2026-11-28', end_date: null, renews: true,
      period_start: '2026-11-28', period_end: '2026-12-27',
      energy_used_wh: 2500, energy_left_wh: 7500,
      minutes_used: '0', minutes_left: 0,
    };
    state.subscriptions = [bought];
    send(response, 201, bought);
  } else if (route === 'POST subscriptions/12/cancel') {
    Object.assign(state.subscriptions[0], {
      renews: false, end_date: '2026-12-27',
    });
    send(response, 200, state.subscriptions[0]);
  } else if (route === 'GET promo-codes') {
    send(response, 200, { codes: state.codes || [] });
  } else if (route === 'POST promo-codes') {
    const code = String(body.code || '').trim().toUpperCase();
    if (code !== 'WELCOME50') {
      error(response, 400, 'PromoCodeError', `Промокод ${code} не найден.`);
      return;
    }
    const redeemed = {
      id: 31, code, promotion: 'Welcome', description: 'Скидка 50%',
      state: 'reserved', session: null, redeemed_at: '2026-11-28T10:00:00Z',
      applied_at: null, discount: null,
    };
    state.codes = [redeemed];
    send(response, 201, redeemed);
  } else if (route === 'DELETE promo-codes/31') {
    state.codes = [];
    send(response, 204);
  } else if (route === 'POST promo-codes/check') {
    const code = String(body.code || '').trim().toUpperCase();
    send(response, 200, code === 'WELCOME50'
      ? { valid: true, code, promotion: 'Welcome', description: 'Скидка 50%' }
      : { valid: false, code, reason: `Промокод ${code} не найден.` });
  } else if (route === 'GET me') {
    send(response, 200, state.profile);
  } else if (route === 'PATCH me') {
    Object.assign(state.profile, body);
    send(response, 200, state.profile);
  } else if (route === 'GET quote') {
    send(response, 200, quoteFor(url.searchParams));
  } else if (route === 'POST sessions') {
    if (body.connector !== 11) {
      error(response, 409, 'msg_connector_unavailable', 'Разъём занят.');
      return;
    }
    charging.started = { connector: body.connector, code: body.code };
    state.startCode = body.code;
    send(response, 202, { id: null, state: 'starting' });
  } else if (route === 'GET sessions/current') {
    send(response, 200, currentSession());
  } else if (route === 'POST sessions/501/stop') {
    charging.stopAsked = true;
    send(response, 202, { ...charging.session, stopping: true });
  } else if (route === 'POST auth/logout') {
    state.sessions.delete(jar.ev_session);
    response.writeHead(204, {
      'Set-Cookie': [
        'ev_session=; Max-Age=0; Path=/testdb/ev/',
        'ev_csrf=; Max-Age=0; Path=/testdb/ev/',
      ],
    });
    response.end();
  } else if (path === 'notifications' || path === 'notifications/seen') {
    if (request.method === 'POST') {
      state.notifySeen = body.until;
    }
    const unread = state.notifications.filter(
      (item) => item.at > state.notifySeen).length;
    send(response, 200, request.method === 'POST'
      ? { until: body.until, unread }
      : {
        notifications: state.notifications.map((item) => ({
          ...item, unread: item.at > state.notifySeen,
        })),
        unread,
      });
  } else if (path === 'support' || path.startsWith('support/')) {
    // support: the client's requests; staff replies are pushed to
    // state.support[i].messages by the test.
    state.support = state.support || [];
    const [, id, sub] = path.split('/');
    const found = state.support.find((r) => String(r.id) === id);
    const summary = ({ messages, ...rest }) => rest;
    if (route === 'GET support') {
      send(response, 200, { requests: state.support.map(summary) });
    } else if (route === 'POST support' || (found && sub === 'messages')) {
      if (!String(body.text || '').trim()) {
        error(response, 400, 'msg_support_text_required',
          'Напишите сообщение.');
        return;
      }
      const message = {
        id: 900 + state.support.length * 10 + (found
          ? found.messages.length : 0),
        author: 'client', name: 'Ann', text: body.text,
        at: '2026-11-28T10:00:00Z',
      };
      if (found) {
        found.messages.push(message);
        found.state = 'open';
        send(response, 201, message);
        return;
      }
      const created = {
        id: 60 + state.support.length,
        subject: body.subject || body.text.split('\n')[0],
        state: 'open', session: body.session ?? null,
        created_at: message.at, updated_at: message.at, unread: false,
        messages: [message],
      };
      state.support.unshift(created);
      send(response, 201, created);
    } else if (found && request.method === 'GET' && !sub) {
      found.unread = false;
      send(response, 200, found);
    } else {
      error(response, 404, 'msg_support_not_found', 'Не найдено.');
    }
  } else {
    error(response, 404, 'not_found', 'Not found');
  }
}

function serve(request, response) {
  if (state.offline) {
    // As if the server were unreachable.
    request.socket.destroy();
    return;
  }
  const url = new URL(request.url, 'http://localhost');
  if (url.pathname.startsWith(API)) {
    api(request, response, url.pathname.slice(API.length), url)
      .catch((exc) => error(response, 500, 'server', String(exc)));
    return;
  }
  if (url.pathname.startsWith('/checkout/')) {
    // The acquirer's checkout page, as far as the app is concerned: the
    // card is taken, the balance credited, and the window closes itself
    // as Tryton's checkout end page does.
    if (state.card && url.pathname === '/checkout/card') {
      ACCOUNT.card_saved = true;
      ACCOUNT.card = { brand: 'visa', last4: '4242' };
      state.card = false;
    }
    if (state.topup) {
      ACCOUNT.balance = (Number(ACCOUNT.balance) + Number(state.topup))
        .toFixed(2);
      state.topup = null;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end('<!DOCTYPE html><link rel="icon" href="data:,">'
      + '<title>Checkout</title><h1>Checkout</h1>'
      + '<script>setTimeout(() => window.close(), 300);</script>');
    return;
  }
  if (url.pathname.startsWith('/tiles/')) {
    response.writeHead(200, { 'Content-Type': 'image/png' });
    response.end(TILE);
    return;
  }
  if (!url.pathname.startsWith(APP)) {
    response.writeHead(404).end();
    return;
  }
  const name = normalize(url.pathname.slice(APP.length) || 'index.html');
  const file = join(dist, name);
  if (name.startsWith('..') || !existsSync(file) || !statSync(file).isFile()) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {
    'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
    'Cache-Control': 'no-cache',
  });
  response.end(name === 'sw.js' && state.swSuffix
    ? `${readFileSync(file, 'utf8')}\n${state.swSuffix}\n`
    : readFileSync(file));
}

async function shot(page, name) {
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  }
}

// Every form control has a label (or an aria-label).
async function assertLabelled(page) {
  const unlabelled = await page.$$eval('input, select, textarea',
    (all) => all.filter((control) => !control.labels.length
      && !control.getAttribute('aria-label')).map((control) => control.name));
  assert.deepEqual(unlabelled, []);
}

function contrast(a, b) {
  const luminance = (rgb) => {
    const [r, g, b2] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b2;
  };
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

// The colour pairs of the theme: [foreground, background, minimum].
async function themeColours(page) {
  return page.evaluate(() => {
    const probe = document.createElement('span');
    document.body.append(probe);
    const rgb = (name) => {
      probe.style.color = `var(${name})`;
      return getComputedStyle(probe).color.match(/\d+/g).slice(0, 3)
        .map(Number);
    };
    const pairs = [
      ['--text', '--bg', 4.5], ['--text', '--surface', 4.5],
      ['--muted', '--surface', 4.5], ['--muted', '--bg', 4.5],
      ['--link', '--surface', 4.5], ['--link', '--bg', 4.5],
      ['--primary-text', '--primary', 4.5], ['--error', '--error-bg', 4.5],
      ['--available-text', '--available-bg', 4.5],
      ['--busy-text', '--busy-bg', 4.5],
      ['--faulted-text', '--faulted-bg', 4.5],
      ['--offline-text', '--offline-bg', 4.5],
      ['--border', '--surface', 3], ['--focus', '--surface', 3],
      ['--focus', '--bg', 3],
    ].map(([fg, bg, min]) => [fg, bg, min, rgb(fg), rgb(bg)]);
    probe.remove();
    return pairs;
  });
}

describe('client PWA smoke test', () => {
  let server;
  let origin;
  let browser;
  let context;
  let page;
  const consoleErrors = [];
  const pageErrors = [];

  before(async () => {
    assert.ok(existsSync(join(dist, 'sw.js')), 'run npm run build first');
    server = createServer(serve);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    context = await browser.newContext({
      locale: 'ru-RU',
      geolocation: HERE,
      permissions: ['geolocation'],
      viewport: { width: 390, height: 844 },
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') {
        consoleErrors.push(message.text());
      }
    });
    page.on('pageerror', (exc) => pageErrors.push(String(exc)));
  });

  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server ? server.close(resolve) : resolve());
  });

  it('loads the shell and the map without console errors', async () => {
    await page.goto(`${origin}${APP}`);
    await page.locator('h1', { hasText: 'Карта станций' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    await page.locator('.leaflet-marker-icon.pin--busy').first().waitFor();
    await assertLabelled(page);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller);
    const manifest = await page.evaluate(async () => {
      const link = document.querySelector('link[rel="manifest"]');
      return (await fetch(link.href)).json();
    });
    assert.equal(manifest.display, 'standalone');
    assert.ok(manifest.icons.some((icon) => icon.purpose === 'maskable'));
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(pageErrors, []);
    await shot(page, 'map');
  });

  it('switches the language between ru and en', async () => {
    await page.focus('#lang-select');
    await page.selectOption('#lang-select', 'en');
    await page.locator('h1', { hasText: 'Station map' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('#tab-bar a[href="#/list"]'), 'List');
    assert.equal(
      await page.evaluate(() => document.activeElement.id), 'lang-select');
    await page.selectOption('#lang-select', 'ru');
    await page.locator('h1', { hasText: 'Карта станций' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.equal(
      await page.textContent('#tab-bar a[href="#/list"]'), 'Список');
  });

  it('switches the theme, with AA contrast in both', async () => {
    const light = await page.evaluate(
      () => getComputedStyle(document.body).backgroundColor);
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    assert.equal(
      await page.getAttribute('#theme-toggle', 'aria-pressed'), 'true');
    const dark = await page.evaluate(
      () => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(dark, light);
    for (const theme of ['dark', 'light']) {
      if (theme === 'light') {
        await page.click('#theme-toggle');
        assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
      }
      for (const [fg, bg, min, a, b] of await themeColours(page)) {
        const ratio = contrast(a, b);
        assert.ok(ratio >= min,
          `${theme}: ${fg} on ${bg} is ${ratio.toFixed(2)}:1 < ${min}:1`);
      }
    }
  });

  it('lists the stations nearest first, with filters', async () => {
    state.requests.length = 0;
    await page.goto(`${origin}${APP}#/list`);
    const names = page.locator('#station-list .station-card__name');
    await names.first().waitFor();
    assert.deepEqual(await names.allTextContents(),
      ['Near Station', 'Middle Station', 'Far Station']);
    const asked = state.requests.find((r) => r.path === 'stations');
    assert.match(asked.query, /lat=55\.7558/);
    assert.match(asked.query, /lon=37\.6173/);
    await shot(page, 'list');
    await assertLabelled(page);
    // A route change moves the focus to the new screen's title.
    assert.equal(await page.evaluate(() => document.activeElement.tagName),
      'H1');
    // Keyboard: on a fresh load the first Tab reaches the skip link, with a
    // visible ring.
    await page.reload();
    await names.first().waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(
      () => document.activeElement.className), 'skip-link');
    assert.notEqual(await page.evaluate(() => getComputedStyle(
      document.activeElement).outlineStyle), 'none');
    assert.doesNotMatch(await page.textContent('main'), /null|undefined/);
    const distance = await page.textContent(
      '#station-list li:first-child .distance');
    assert.match(distance, /^\d+ м$/);
    await page.getByLabel('Свободна сейчас').check();
    await page.waitForFunction(() => document.querySelectorAll(
      '#station-list li').length === 1);
    assert.deepEqual(await names.allTextContents(), ['Far Station']);
    await page.getByLabel('Свободна сейчас').uncheck();
    await page.getByLabel('Мощность').selectOption('50');
    await page.waitForFunction(() => document.querySelectorAll(
      '#station-list li').length === 2);
    await page.getByLabel('Мощность').selectOption('0');
    await page.waitForFunction(() => document.querySelectorAll(
      '#station-list li').length === 3);
  });

  it('shows a station with route links to its coordinates', async () => {
    await page.click('text=Near Station');
    await page.locator('h1', { hasText: 'Near Station' }).waitFor();
    const links = Object.fromEntries(await page.$$eval('a[data-route]',
      (all) => all.map((a) => [a.dataset.route, a.getAttribute('href')])));
    assert.equal(links.geo, 'geo:55.757,37.62?q=55.757,37.62(Near%20Station)');
    assert.equal(links.yandex,
      'https://yandex.ru/maps/?rtext=~55.757%2C37.62&rtt=auto');
    assert.equal(links.google,
      'https://www.google.com/maps/dir/?api=1&destination=55.757%2C37.62');
    assert.match(links.osm, /openstreetmap\.org\/directions\?to=55\.757%2C37\.62/);
    const body = await page.textContent('main');
    assert.match(body, /Volt LLC/);
    assert.match(body, /Mo-Fr 08:00-20:00/);
    assert.match(body, /22 кВт/);
    assert.match(body, /Войдите, чтобы увидеть цену/);
    await shot(page, 'station');
  });

  it('charts the usage of a station, or says it is unavailable',
    async () => {
      await page.goto(`${origin}${APP}#/station/2`);
      const busy = page.locator('#usage .chart--busy svg[role="img"]');
      await busy.waitFor();
      assert.equal(await page.locator(
        '#usage .chart--busy rect.chart__bar').count(), 24);
      assert.equal(await page.locator(
        '#usage .chart--daily rect.chart__bar').count(), 30);
      assert.equal(await page.locator(
        '#usage .chart--busy rect title').count(), 24);
      assert.equal(await page.locator(
        '#usage .chart--busy table.visually-hidden tbody tr').count(), 24);
      // Today in the station's time zone is picked; Monday is busiest at 8.
      const today = await page.evaluate(() => ['Mon', 'Tue', 'Wed', 'Thu',
        'Fri', 'Sat', 'Sun'].indexOf(new Intl.DateTimeFormat('en-US', {
        timeZone: 'Europe/Moscow', weekday: 'short',
      }).format(new Date())));
      assert.equal(await page.inputValue('#usage-day'), String(today));
      await page.selectOption('#usage-day', '0');
      assert.match(await busy.getAttribute('aria-label'),
        /^Понедельник: .*08:00–09:00.*50\s?%/);
      await page.selectOption('#usage-day', '6');
      assert.match(await busy.getAttribute('aria-label'), /^Воскресенье: /);
      const daily = page.locator('#usage .chart--daily svg[role="img"]');
      assert.match(await daily.getAttribute('aria-label'), /^Сессии /);
      await page.selectOption('#usage-metric', 'energy');
      assert.match(await daily.getAttribute('aria-label'),
        /^Энергия .*450 кВт·ч/);
      assert.match(await page.textContent('#usage'), /Сессий: 30/);
      await assertLabelled(page);
      // The bars stand out of the card (3:1) in both themes.
      for (const theme of ['dark', 'light']) {
        await page.click('#theme-toggle');
        assert.equal(await page.getAttribute('html', 'data-theme'), theme);
        const [bar, card] = await page.evaluate(() => [
          document.querySelector('.chart__bar'), document.getElementById(
            'usage')].map((element) => getComputedStyle(element)[
          element.tagName === 'rect' ? 'fill' : 'backgroundColor']
          .match(/\d+/g).slice(0, 3).map(Number)));
        assert.ok(contrast(bar, card) >= 3, `${theme}: bars`);
      }
      await page.locator('#usage .chart--busy').scrollIntoViewIfNeeded();
      await shot(page, 'station-usage');
      // No figures: a quiet line instead, the station still shown.
      await page.route('**/stations/3/usage', (route) => route.abort());
      try {
        await page.goto(`${origin}${APP}#/station/3`);
        await page.locator('#usage .usage__unavailable').waitFor();
        assert.equal(await page.locator('#usage svg').count(), 0);
        await page.locator('h1', { hasText: 'Middle Station' }).waitFor();
      } finally {
        await page.unroute('**/stations/3/usage');
      }
    });

  it('logs in (errors in the live region), then saves with CSRF',
    async () => {
      await page.goto(`${origin}${APP}#/login`);
      await page.getByLabel('E-mail').fill('ann@example.com');
      await page.getByLabel('Пароль').fill('wrong');
      await page.click('main button[type="submit"]');
      await page.locator('#alert', { hasText: 'Неверный e-mail или пароль.' })
        .waitFor();
      assert.equal(await page.getAttribute('#alert', 'role'), 'alert');
      await page.getByLabel('Пароль').fill('secret123');
      await page.click('main button[type="submit"]');
      await page.locator('#tab-bar a', { hasText: 'Профиль' }).waitFor();
      await page.goto(`${origin}${APP}#/station/2`);
      await page.locator('text=Standard').waitFor();
      assert.match(await page.textContent('main'), /25.*kWh/);
      await page.goto(`${origin}${APP}#/profile`);
      await page.getByLabel('Имя').waitFor();
      await assertLabelled(page);
      assert.equal(await page.getByLabel('Имя').inputValue(), 'Ann');
      await page.getByLabel('Телефон').fill('+7 900 000 00 00');
      state.requests.length = 0;
      await page.click('main button[type="submit"]');
      await page.waitForFunction(() => document.getElementById('status')
        .textContent.includes('сохранён'));
      const patch = state.requests.find((r) => r.method === 'PATCH');
      assert.ok(patch.csrf && patch.csrf === patch.cookie);
      assert.equal(state.profile.phone, '+7 900 000 00 00');
      await page.click('#theme-toggle');
      assert.equal(await page.getByLabel('Тема').inputValue(), 'dark');
      assert.equal(state.profile.theme, 'dark');
      await shot(page, 'profile-dark');
      await page.click('#theme-toggle');
    });

  it('shows the account: balance, method, promo code, top-up', async () => {
    await page.goto(`${origin}${APP}#/account`);
    await page.locator('#account-balance').waitFor();
    assert.match(await page.textContent('#account-balance'), /1\s?250,50/);
    assert.match(await page.textContent('#account-available'), /1\s?100,00/);
    assert.equal(await page.textContent('#tab-bar a[aria-current="page"]'),
      'Счёт');
    await assertLabelled(page);
    await page.getByLabel('Способ оплаты').selectOption('card');
    await page.click('#method-form button[type="submit"]');
    await page.locator('#alert', { hasText: 'Сначала сохраните карту.' })
      .waitFor();
    const promo = page.locator('#promo-form');
    await page.getByLabel('Промокод').fill('nope');
    await promo.getByRole('button', { name: 'Проверить' }).click();
    await page.locator('#promo-result', { hasText: 'NOPE не найден' })
      .waitFor();
    await page.getByLabel('Промокод').fill('welcome50');
    await promo.getByRole('button', { name: 'Проверить' }).click();
    await page.locator('#promo-result', { hasText: 'Скидка 50%' }).waitFor();
    // Added to the account, it waits for the next session; given back, gone
    await promo.getByRole('button', { name: 'Добавить в мой счёт' }).click();
    await page.locator('#promo-result',
      { hasText: 'Код WELCOME50 добавлен' }).waitFor();
    await page.locator('#promo-codes li',
      { hasText: 'Ждёт следующей зарядки' }).waitFor();
    await promo.getByRole('button', { name: 'Вернуть код WELCOME50' })
      .click();
    await page.locator('#promo-codes li').waitFor({ state: 'detached' });
    assert.ok(state.requests.some((r) => r.path === 'promo-codes/31'));
    await shot(page, 'account');
    state.requests.length = 0;
    await page.getByLabel('Сумма').fill('500');
    const balance = ACCOUNT.balance;
    const [checkout] = await Promise.all([
      page.waitForEvent('popup'),
      page.click('#topup-form button[type="submit"]'),
    ]);
    await checkout.waitForEvent('close');
    assert.match(checkout.url(), /\/checkout\/9$/);
    const topup = state.requests.find((r) => r.path === 'topup');
    assert.ok(topup.csrf && topup.csrf === topup.cookie);
    // The app stays, and shows the balance the acquirer's payment made.
    await page.locator('#account-balance', { hasText: /1\s750,50/ })
      .waitFor();
    await page.locator('#status', { hasText: 'Баланс пополнен.' }).waitFor();
    ACCOUNT.balance = balance;
  });

  it('saves a bank card on the acquirer\'s page, then pays by it',
    async () => {
      await page.goto(`${origin}${APP}#/account`);
      await page.locator('#card-save').waitFor();
      assert.equal(await page.textContent('#card-save'), 'Сохранить карту');
      assert.match(await page.textContent('#card-status'),
        /сначала сохраните карту/);
      state.requests.length = 0;
      const [setup] = await Promise.all([
        page.waitForEvent('popup'),
        page.click('#card-save'),
      ]);
      await setup.waitForEvent('close');
      assert.match(setup.url(), /\/checkout\/card$/);
      const cards = state.requests.find((r) => r.path === 'cards');
      assert.equal(cards.method, 'POST');
      assert.ok(cards.csrf && cards.csrf === cards.cookie);
      // The app stays, and shows the card the acquirer's page saved.
      await page.locator('#card-status', { hasText: 'Карта VISA •••• 4242 '
        + 'сохранена' }).waitFor();
      await page.locator('#status', { hasText: 'Карта сохранена.' })
        .waitFor();
      assert.equal(await page.textContent('#card-save'), 'Заменить карту');
      await page.getByLabel('Способ оплаты').selectOption('card');
      await page.click('#method-form button[type="submit"]');
      await page.locator('#status', { hasText: 'Способ оплаты сохранён.' })
        .waitFor();
      assert.equal(ACCOUNT.payment_method, 'card');
      await assertLabelled(page);
      await shot(page, 'account-card');
      ACCOUNT.card_saved = false;
      ACCOUNT.payment_method = 'balance';
    });

  it('shows notifications with a badge, and offers a new version',
    async () => {
      state.notifications = [{
        id: 'session_finished-7', kind: 'session_finished',
        title: 'Зарядка завершена', body: 'Near Station: 15,5 кВт·ч.',
        at: '2026-11-20T11:00:00Z', url: '#/history',
      }, {
        id: 'payment_succeeded-5', kind: 'payment_succeeded',
        title: 'Платёж прошёл', body: 'Баланс пополнен на 2 000,00 ₽.',
        at: '2026-11-19T09:00:00Z', url: '#/history',
      }];
      await page.goto(`${origin}${APP}#/map`);
      await page.reload();
      await page.locator('#notify-badge:not([hidden])').waitFor();
      assert.equal(await page.textContent('#notify-badge'), '2');
      assert.equal(await page.textContent('#notify-label'),
        'Уведомления: непрочитанных 2');
      await page.click('#notify-link');
      await page.locator('h1', { hasText: 'Уведомления' }).waitFor();
      const items = page.locator('#notification-list li');
      await items.first().waitFor();
      assert.deepEqual(await page.locator('.notification__title')
        .allTextContents(), ['Зарядка завершена', 'Платёж прошёл']);
      assert.equal(await page.getAttribute('.notification__title', 'href'),
        '#/history');
      assert.equal(await page.locator('.notification--unread').count(), 2);
      // Opening the list reads them: the badge goes.
      await page.locator('#notify-badge[hidden]').waitFor({
        state: 'attached',
      });
      assert.equal(state.notifySeen, '2026-11-20T11:00:00Z');
      assert.equal(await page.getAttribute('#notify-link', 'aria-current'),
        'page');
      await assertLabelled(page);
      await shot(page, 'notifications');

      // The profile's switch asks the browser; granted, a new item becomes
      // a notification of the device.
      // (Chromium denies what a grant for an origin leaves out.)
      await context.grantPermissions(['geolocation', 'notifications'],
        { origin });
      await page.goto(`${origin}${APP}#/profile`);
      await page.getByLabel('Уведомления на устройстве').check();
      await page.click('main button[type="submit"]');
      await page.waitForFunction(() => document.getElementById('status')
        .textContent.includes('сохранён'));
      assert.equal(state.profile.notify_system, true);
      state.notifications.unshift({
        id: 'station_fault-3-1764000000', kind: 'station_fault',
        title: 'Станция неисправна', body: 'Middle Station: разъём 1.',
        at: '2026-11-21T08:00:00Z', url: '#/station/3',
      });
      // Coming back to the app polls at once.
      await page.evaluate(() => document.dispatchEvent(
        new Event('visibilitychange')));
      await page.locator('#notify-badge:not([hidden])').waitFor();
      assert.equal(await page.textContent('#notify-badge'), '1');
      const shown = await page.waitForFunction(async () => {
        const registration = await navigator.serviceWorker.ready;
        const all = await registration.getNotifications();
        return all.length && all.map((n) => [n.title, n.data.url]);
      });
      assert.deepEqual(await shown.jsonValue(),
        [['Станция неисправна', '#/station/3']]);
      await page.getByLabel('Уведомления на устройстве').uncheck();
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'PATCH'),
        page.click('main button[type="submit"]'),
      ]);
      assert.equal(state.profile.notify_system, false);

      // A changed sw.js: the new worker waits, the banner offers it, and
      // Reload brings it in with one reload.
      state.swSuffix = '// a new version';
      await page.evaluate(async () => (
        await navigator.serviceWorker.getRegistration()).update());
      const banner = page.locator('#update-banner');
      await banner.locator('text=Доступна новая версия').waitFor();
      assert.equal(await banner.getAttribute('role'), 'status');
      await Promise.all([
        page.waitForEvent('load'),
        page.click('#update-reload'),
      ]);
      await page.locator('#tab-bar a').first().waitFor();
      assert.equal(await page.isVisible('#update-banner'), false);
      const workers = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return [Boolean(registration.waiting), registration.active.state,
          Boolean(navigator.serviceWorker.controller)];
      });
      assert.deepEqual(workers, [false, 'activated', true]);
    });

  it('shows the history with prices and receipt links', async () => {
    await page.goto(`${origin}${APP}#/history`);
    await page.locator('#history-sessions li').first().waitFor();
    const text = await page.textContent('main');
    assert.match(text, /Near Station/);
    assert.match(text, /15,5 кВт·ч/);
    assert.match(text, /387,50/);
    assert.match(text, /Пополнение/);
    assert.doesNotMatch(text, /null|undefined|NaN/);
    const session = page.locator('#history-sessions li').first();
    assert.equal(await session.locator('a.receipt-link').getAttribute('href'),
      '/testdb/ev/api/v1/sessions/7/receipt');
    assert.equal(await session.locator('a.receipt-link').textContent(),
      'Чек S-7');
    assert.equal(await session.locator('a.invoice-link').getAttribute('href'),
      '/testdb/ev/api/v1/invoices/41/receipt');
    await shot(page, 'history');
  });

  it('lays the history out as cards on a phone, rows on a desktop, AA',
    async () => {
      // What the history shows of each item, where, and in which colours.
      const layout = () => page.evaluate(() => {
        const box = (element) => element.getBoundingClientRect();
        const rgb = (value) => value.match(/\d+(\.\d+)?/g).slice(0, 3)
          .map(Number);
        const item = document.querySelector('#history-sessions li');
        const part = (name) => item.querySelector(`.history-item__${name}`);
        const colours = [...item.querySelectorAll(
          'h3, strong, time, span, a')].map((element) => {
          let holder = element;
          while (getComputedStyle(holder).backgroundColor
              === 'rgba(0, 0, 0, 0)') {
            holder = holder.parentElement;
          }
          return [element.textContent,
            rgb(getComputedStyle(element).color),
            rgb(getComputedStyle(holder).backgroundColor)];
        });
        return {
          overflow: document.documentElement.scrollWidth > innerWidth,
          item: box(item).toJSON(),
          title: box(part('title')).toJSON(),
          amount: box(part('amount')).toJSON(),
          date: box(part('date')).toJSON(),
          colours,
        };
      });
      await page.setViewportSize({ width: 360, height: 740 });
      try {
        for (const theme of ['light', 'dark']) {
          if (await page.getAttribute('html', 'data-theme') !== theme) {
            await page.click('#theme-toggle');
          }
          await page.goto(`${origin}${APP}#/history`);
          await page.locator('#history-sessions li').first().waitFor();
          let at = await layout();
          assert.equal(at.overflow, false);
          // The price on the station's line, against the right edge.
          assert.ok(Math.abs(at.amount.top - at.title.top) < 8);
          assert.ok(at.item.right - at.amount.right < 24);
          assert.ok(at.date.top >= at.title.bottom - 1);
          for (const [text, fg, bg] of at.colours) {
            assert.ok(contrast(fg, bg) >= 4.5,
              `${theme}: "${text}" ${contrast(fg, bg).toFixed(2)}:1`);
          }
          await page.setViewportSize({ width: 1280, height: 800 });
          at = await layout();
          assert.equal(at.overflow, false);
          // A row: the date, the station, the price on one line.
          assert.ok(at.date.right <= at.title.left);
          assert.ok(Math.abs(at.date.top - at.title.top) < 8);
          assert.ok(at.item.right - at.amount.right < 24);
          await page.setViewportSize({ width: 360, height: 740 });
        }
      } finally {
        if (await page.getAttribute('html', 'data-theme') !== 'light') {
          await page.click('#theme-toggle');
        }
        await page.setViewportSize({ width: 390, height: 844 });
      }
    });

  it('buys a subscription, shows its usage and stops renewal', async () => {
    await page.goto(`${origin}${APP}#/subscriptions`);
    await page.locator('#offers li').first().waitFor();
    assert.match(await page.textContent('main'), /У вас нет абонемента/);
    await page.click('#offers button');
    await page.locator('#my-subscriptions li').first().waitFor();
    const mine = await page.textContent('#my-subscriptions');
    assert.match(mine, /Осталось энергии: 7,5 кВт·ч/);
    assert.match(mine, /Продлевается автоматически/);
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('#my-subscriptions button');
    await page.locator('#my-subscriptions', { hasText: 'Заканчивается' })
      .waitFor();
    assert.equal(await page.locator('#my-subscriptions button').count(), 0);
    await shot(page, 'subscriptions');
  });

  it('registers and confirms the e-mail from the link', async () => {
    await page.goto(`${origin}${APP}#/register`);
    await page.getByLabel('Имя').fill('Bob');
    await page.getByLabel('E-mail').fill('bob@example.com');
    await page.getByLabel('Пароль').fill('long-enough');
    await page.click('main button[type="submit"]');
    await page.locator('h1', { hasText: 'Проверьте почту' }).waitFor();
    // web_user adds the token to the page's query, before the hash.
    await page.goto(`${origin}${APP}?token=good-token#/confirm`);
    await page.locator('text=Адрес e-mail подтверждён').waitFor();
    assert.equal(new URL(page.url()).search, '');
  });

  it('offers the list when the map has no tiles', async () => {
    state.noTiles = true;
    try {
      await page.goto(`${origin}${APP}#/map`);
      await page.locator('text=Карта не настроена').waitFor();
      assert.equal(await page.locator('.leaflet-container').count(), 0);
      await page.click('main a[href="#/list"]');
      await page.locator('#station-list li').first().waitFor();
    } finally {
      state.noTiles = false;
    }
  });

  it('still shows the list after an offline reload', async () => {
    await page.goto(`${origin}${APP}#/list`);
    await page.locator('#station-list li').first().waitFor();
    state.offline = true;
    await context.setOffline(true);
    try {
      await page.reload();
      const names = page.locator('#station-list .station-card__name');
      await names.first().waitFor();
      assert.deepEqual(await names.allTextContents(),
        ['Near Station', 'Middle Station', 'Far Station']);
      assert.equal(await page.isVisible('#offline-banner'), true);
      await shot(page, 'list-offline');
      await page.click('text=Middle Station');
      await page.locator('h1', { hasText: 'Middle Station' }).waitFor();
    } finally {
      await context.setOffline(false);
      state.offline = false;
    }
  });

  it('quotes a connector, starts, follows and stops a session', async () => {
    // Logged in by the login test; sounds on for the beeps.
    state.profile.sounds = true;
    await page.goto(`${origin}${APP}#/station/1`);
    // A full load, so that the profile (sounds) is read again.
    await page.reload();
    await page.click('#charge-link');
    await page.locator('h1', { hasText: 'Зарядка на станции Far Station' })
      .waitFor();
    await page.locator('#quote-total', { hasText: '250' }).waitFor();
    assert.match(await page.textContent('#payment-method'), /500/);
    await assertLabelled(page);
    // A busy connector: no start, and the reason.
    await page.getByLabel(/^2 ·/).check();
    await page.locator('#start-reason', { hasText: 'Разъём занят.' })
      .waitFor();
    assert.equal(await page.isDisabled('#start-button'), true);
    await page.getByLabel(/^1 ·/).check();
    await page.waitForFunction(
      () => !document.getElementById('start-button').disabled);
    // A wrong code tells why; a good one re-quotes the price.
    await page.getByLabel('Промокод').fill('NOPE');
    await page.click('.promo-form button[type="submit"]');
    await page.locator('#promo-result', { hasText: 'Код NOPE не найден.' })
      .waitFor();
    await page.getByLabel('Промокод').fill('WELCOME');
    await page.click('.promo-form button[type="submit"]');
    await page.locator('#quote-total', { hasText: '225' }).waitFor();
    const asked = state.requests.filter((r) => r.path === 'quote').pop();
    assert.match(asked.query, /code=WELCOME/);
    await shot(page, 'charge');

    state.requests.length = 0;
    await page.click('#start-button');
    await page.locator('#live-state').waitFor();
    const start = state.requests.find((r) => r.path === 'sessions');
    assert.ok(start.csrf && start.csrf === start.cookie);
    // The valid code goes with the start (a refused one would not).
    assert.equal(state.startCode, 'WELCOME');
    assert.equal(await page.getAttribute('html', 'data-ev-sound'), 'start');
    // Polled every 3 s: starting, then the session, then new values, in
    // place (the same nodes).
    await page.locator('#live-state', { hasText: 'Идёт зарядка' })
      .waitFor({ timeout: 10000 });
    const first = await page.textContent('#live-energy');
    const node = await page.$('#live-energy');
    await page.waitForFunction((text) => document.getElementById(
      'live-energy').textContent !== text, first, { timeout: 10000 });
    assert.equal(await node.evaluate((el) => el.isConnected), true);
    assert.match(await page.textContent('#live-power'), /22 кВт/);
    assert.match(await page.textContent('#live-duration'), /^0:0\d:\d\d$/);
    assert.match(await page.textContent('#live-cost'), /\d/);
    await assertLabelled(page);
    await shot(page, 'live');
    // Stop asks first; "keep charging" changes nothing.
    await page.click('#stop-button');
    await page.click('#stop-cancel');
    assert.equal(state.requests.some((r) => r.path.endsWith('/stop')), false);
    await page.click('#stop-button');
    await page.click('#stop-confirm');
    await page.locator('#live-state', { hasText: 'Остановка' }).waitFor();
    assert.equal(await page.getAttribute('html', 'data-ev-sound'), 'stop');
    await page.locator('#live-state', { hasText: 'Зарядка завершена.' })
      .waitFor({ timeout: 10000 });
    state.profile.sounds = false;
  });

  it('writes to support about a session and reads the reply', async () => {
    await page.goto(`${origin}${APP}#/history`);
    await page.click('#history-sessions a.support-link');
    await page.locator('#support-form').waitFor();
    assert.equal(await page.inputValue('#support-session'), '7');
    await assertLabelled(page);
    await page.fill('#support-subject', 'Зарядка прервалась');
    await page.fill('#support-text', 'Остановилась через 5 минут.');
    state.requests.length = 0;
    await page.click('#support-form button[type="submit"]');
    await page.locator('main h1', { hasText: 'Зарядка прервалась' })
      .waitFor();
    const sent = state.requests.find(
      (r) => r.method === 'POST' && r.path === 'support');
    assert.ok(sent.csrf && sent.csrf === sent.cookie);
    assert.equal(state.support[0].session, 7);
    // Staff reply in the back office; the app shows it on a reload.
    const [thread] = state.support;
    thread.messages.push({
      id: 999, author: 'support', name: 'Ольга', text: 'Деньги вернули.',
      at: '2026-11-28T11:00:00Z',
    });
    Object.assign(thread, { state: 'answered', unread: true });
    await page.goto(`${origin}${APP}#/support`);
    await page.locator('#support-list .support-item--unread').waitFor();
    assert.match(await page.textContent('#support-list'), /Есть ответ/);
    await page.click('#support-list a');
    await page.locator('#support-thread .support-msg--support', {
      hasText: 'Деньги вернули.',
    }).waitFor();
    assert.match(await page.textContent('#support-thread'), /Ольга/);
    // No empty part shows as the word "null".
    assert.doesNotMatch(await page.textContent('main'), /\bnull\b/);
    await page.fill('#support-reply-text', 'Спасибо!');
    await page.click('#support-reply button[type="submit"]');
    await page.locator('#support-thread .support-msg--client', {
      hasText: 'Спасибо!',
    }).waitFor();
    await page.goto(`${origin}${APP}#/account`);
    await page.locator('main a[href="#/support"]').waitFor();
    await shot(page, 'support');
  });

  it('had no script errors, and console errors only for refusals',
    async () => {
      if (SHOTS) {
        console.log(consoleErrors);
      }
      assert.deepEqual(pageErrors, []);
      // The wrong password's 401, the card refused without a saved card
      // (400), and network failures while offline.
    const unexpected = consoleErrors.filter((text) => !/status of 40[01]/
        .test(text) && !/net::ERR_(FAILED|INTERNET_DISCONNECTED)/
        .test(text));
      assert.deepEqual(unexpected, []);
    });
});
