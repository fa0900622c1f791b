// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client app's entry: the shell (app bar with the notifications, tab
// bar), the routes, the service worker with its new-version banner, and the
// offline banner.
import { getLanguage, initLanguage, setLanguage, t } from './i18n.js';
import { getUnread, startNotifications } from './notifications.js';
import { startRouter } from './router.js';
import { accountScreen } from './screens/account.js';
import {
  confirmScreen, loginScreen, registerScreen, resetScreen,
} from './screens/auth.js';
import { chargeScreen } from './screens/charge.js';
import { liveScreen } from './screens/live.js';
import { historyScreen } from './screens/history.js';
import { listScreen } from './screens/list.js';
import { mapScreen } from './screens/map.js';
import { notificationsScreen } from './screens/notifications.js';
import { profileScreen } from './screens/profile.js';
import { stationScreen } from './screens/station.js';
import { subscriptionsScreen } from './screens/subscriptions.js';
import { supportScreen } from './screens/support.js';
import { getProfile, loadProfile, saveProfile } from './session.js';
import { getTheme, initTheme, setTheme } from './theme.js';
import { clearError, h, heading, showError } from './ui.js';

const ROUTES = {
  map: { screen: mapScreen, title: 'map.title', tab: 'map' },
  list: { screen: listScreen, title: 'list.title', tab: 'list' },
  station: { screen: stationScreen, title: 'station.title', tab: 'list' },
  login: { screen: loginScreen, title: 'auth.login_title', tab: 'profile' },
  register: {
    screen: registerScreen, title: 'auth.register_title', tab: 'profile',
  },
  confirm: {
    screen: confirmScreen, title: 'auth.confirm_title', tab: 'profile',
  },
  reset: { screen: resetScreen, title: 'auth.reset_title', tab: 'profile' },
  profile: { screen: profileScreen, title: 'profile.title', tab: 'profile' },
  account: { screen: accountScreen, title: 'account.title', tab: 'account' },
  history: { screen: historyScreen, title: 'history.title', tab: 'account' },
  subscriptions: {
    screen: subscriptionsScreen, title: 'subscriptions.title', tab: 'account',
  },
  // #/station/<id>/charge
  charge: { screen: chargeScreen, title: 'charge.title', tab: 'list' },
  session: { screen: liveScreen, title: 'live.title', tab: 'list' },
  notifications: {
    screen: notificationsScreen, title: 'notify.title', tab: '',
  },
  // #/support, #/support/new, #/support/<id>
  support: { screen: supportScreen, title: 'support.title', tab: 'account' },
};

let current = null;
let cleanup = null;
let renderCount = 0;
let rerender = () => {};
let redrawing = false;
let updating = false;

const SVG = 'http://www.w3.org/2000/svg';

function bellIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 '
    + '22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 '
    + '5 11v5l-2 2v1h18v-1z');
  svg.append(path);
  return svg;
}

// The link to the notifications, with the unread count.
function notifyLink(active) {
  const count = getUnread();
  return h('a', {
    href: '#/notifications', id: 'notify-link',
    className: 'icon-button notify-link',
    'aria-current': active ? 'page' : undefined,
  }, bellIcon(),
  h('span', { className: 'visually-hidden', id: 'notify-label' },
    count ? t('notify.link_unread', { count }) : t('notify.title')),
  h('span', {
    className: 'notify-badge', id: 'notify-badge', 'aria-hidden': 'true',
    hidden: !count,
  }, count ? String(Math.min(count, 99)) : ''));
}

function updateBadge() {
  const badge = document.getElementById('notify-badge');
  if (!badge) {
    return;
  }
  const count = getUnread();
  badge.hidden = !count;
  badge.textContent = count ? String(Math.min(count, 99)) : '';
  document.getElementById('notify-label').textContent = count
    ? t('notify.link_unread', { count }) : t('notify.title');
}

function renderAppBar() {
  const bar = document.getElementById('app-bar');
  // Keep the keyboard where it was when a switch redraws the bar.
  const focused = bar.contains(document.activeElement)
    ? document.activeElement.id : '';
  const language = h('select', {
    id: 'lang-select', name: 'language', className: 'compact',
    onchange: (event) => changeLanguage(event.target.value),
  }, [['ru', 'Русский'], ['en', 'English']].map(([value, text]) => h(
    'option', { value, selected: value === getLanguage(), lang: value },
    text)));
  const dark = getTheme() === 'dark';
  bar.replaceChildren(
    h('a', { href: '#/map', className: 'brand' },
      h('span', { className: 'brand__mark', 'aria-hidden': 'true' }, '⚡'),
      t('app.name')),
    h('div', { className: 'app-bar__tools' },
      getProfile() ? notifyLink(current
        && current.segments[0] === 'notifications') : null,
      h('label', { for: 'lang-select', className: 'visually-hidden' },
        t('field.language')),
      language,
      h('button', {
        type: 'button', id: 'theme-toggle', className: 'icon-button',
        'aria-pressed': dark ? 'true' : 'false',
        onclick: () => changeTheme(dark ? 'light' : 'dark'),
      }, h('span', { 'aria-hidden': 'true' }, dark ? '☀' : '☾'),
      h('span', { className: 'visually-hidden' }, t('theme.dark_toggle')))));
  document.querySelector('.skip-link').textContent = t('app.skip');
  if (focused) {
    document.getElementById(focused).focus();
  }
}

function renderTabBar(active) {
  const tabs = [
    ['map', '#/map', t('nav.map')],
    ['list', '#/list', t('nav.list')],
    ...(getProfile() ? [['account', '#/account', t('nav.account')]] : []),
    ['profile', getProfile() ? '#/profile' : '#/login',
      getProfile() ? t('nav.profile') : t('nav.login')],
  ];
  const bar = document.getElementById('tab-bar');
  bar.setAttribute('aria-label', t('nav.label'));
  bar.replaceChildren(h('ul', {}, tabs.map(([key, href, text]) => h('li', {},
    h('a', {
      href, 'aria-current': key === active ? 'page' : undefined,
    }, text)))));
}

// Header switches apply at once and, when logged in, go to the profile.
async function changeLanguage(value) {
  setLanguage(value);
  if (getProfile()) {
    saveProfile({ language: value }).catch(showError);
  }
}

function changeTheme(value) {
  setTheme(value);
  if (getProfile()) {
    saveProfile({ theme: value }).catch(showError);
  }
}

async function render(route) {
  // A redraw (new language) keeps the focus where it is.
  const redraw = redrawing;
  redrawing = false;
  current = route;
  renderCount += 1;
  const token = renderCount;
  const isCurrent = () => token === renderCount;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  clearError();
  const name = route.segments[0] === 'station' && route.segments[2] === 'charge'
    ? 'charge' : route.segments[0] || 'map';
  const entry = ROUTES[name];
  const main = document.getElementById('main');
  main.replaceChildren();
  main.className = '';
  renderAppBar();
  renderTabBar(entry ? entry.tab : '');
  document.title = entry
    ? `${t(entry.title)} — ${t('app.name')}` : t('app.name');
  if (!entry) {
    main.append(heading(t('error.http_404')),
      h('a', { href: '#/map' }, t('nav.map')));
    return;
  }
  try {
    const result = await entry.screen(main, route, isCurrent);
    if (isCurrent() && typeof result === 'function') {
      cleanup = result;
    } else if (typeof result === 'function') {
      result();
    }
  } catch (error) {
    if (!isCurrent()) {
      return;
    }
    if (error && error.status === 401) {
      window.location.hash = `/login?next=${route.path}`;
      return;
    }
    for (const busy of main.querySelectorAll('[aria-busy="true"]')) {
      busy.remove();
    }
    showError(error);
  }
  // After a route change, not on the first load: the reader starts at the
  // top of a new page, but must hear that a screen changed.
  if (isCurrent() && token > 1 && !redraw) {
    const title = main.querySelector('h1');
    if (title) {
      title.focus({ preventScroll: true });
    }
  }
}

function watchOffline() {
  const banner = document.getElementById('offline-banner');
  const update = (cached = false) => {
    const offline = !navigator.onLine || cached;
    banner.hidden = !offline;
    banner.textContent = offline ? t('state.offline') : '';
  };
  window.addEventListener('online', () => update(false));
  window.addEventListener('offline', () => update(false));
  window.addEventListener('ev:offline-data', () => update(true));
  window.addEventListener('ev:language', () => update(!banner.hidden));
  update(false);
}

// A new service worker waits until the client chooses to reload: the
// banner offers it, the waiting worker takes over, and the page reloads
// once with the new version.
function offerUpdate(worker) {
  const banner = document.getElementById('update-banner');
  const draw = () => banner.replaceChildren(
    h('span', {}, t('update.available')), ' ',
    h('button', {
      type: 'button', className: 'link-button', id: 'update-reload',
      onclick: () => {
        updating = true;
        worker.postMessage({ type: 'SKIP_WAITING' });
        // The worker was replaced meanwhile: the reload gets the newest.
        window.setTimeout(() => window.location.reload(), 5000);
      },
    }, t('update.reload')));
  banner.hidden = false;
  draw();
  window.addEventListener('ev:language', draw);
}

function watchUpdates(registration) {
  const waiting = (worker) => {
    // Without a controller this is the first worker: nothing to update.
    if (worker && navigator.serviceWorker.controller) {
      offerUpdate(worker);
    }
  };
  waiting(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    if (!worker) {
      return;
    }
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed') {
        waiting(worker);
      }
    });
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      registration.update().catch(() => {});
    }
  });
}

function registerWorker() {
  const banner = h('div', {
    className: 'update-banner', id: 'update-banner', role: 'status',
    hidden: true,
  });
  document.getElementById('offline-banner').after(banner);
  if (!('serviceWorker' in navigator)) {
    return;
  }
  let reloaded = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (updating && !reloaded) {
      reloaded = true;
      window.location.reload();
    }
  });
  // A click on a notification of the device, while the app is open.
  navigator.serviceWorker.addEventListener('message', (event) => {
    const data = event.data || {};
    if (data.type === 'navigate' && typeof data.url === 'string'
        && data.url.startsWith('#/')) {
      window.location.hash = data.url.slice(1);
    }
  });
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js', { scope: './' })
      .then(watchUpdates)
      .catch(() => {
        // No worker (plain http on a remote host): the app still works
        // online.
      });
  });
}

async function start() {
  initLanguage();
  initTheme();
  watchOffline();
  registerWorker();
  window.addEventListener('ev:language', () => {
    redrawing = true;
    rerender();
  });
  window.addEventListener('ev:theme', () => {
    renderAppBar();
    // The profile form shows the theme too: keep it in step.
    const select = document.querySelector('main select[name="theme"]');
    if (select) {
      select.value = getTheme();
    }
  });
  window.addEventListener('ev:notifications', updateBadge);
  window.addEventListener('ev:profile', () => {
    renderAppBar();
    renderTabBar(current && ROUTES[current.segments[0] || 'map']
      ? ROUTES[current.segments[0] || 'map'].tab : '');
  });
  // The profile's language and theme, before the first screen.
  await loadProfile().catch(() => null);
  rerender = startRouter(render);
  startNotifications();
}

start();
