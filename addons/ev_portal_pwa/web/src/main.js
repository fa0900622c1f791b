// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client app's entry: the shell (app bar, tab bar), the routes, the
// service worker and the offline banner.
import { getLanguage, initLanguage, setLanguage, t } from './i18n.js';
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
import { profileScreen } from './screens/profile.js';
import { stationScreen } from './screens/station.js';
import { subscriptionsScreen } from './screens/subscriptions.js';
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
};

let current = null;
let cleanup = null;
let renderCount = 0;
let rerender = () => {};
let redrawing = false;

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

function registerWorker() {
  if (!('serviceWorker' in navigator)) {
    return;
  }
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js', { scope: './' })
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
  window.addEventListener('ev:profile', () => {
    renderTabBar(current && ROUTES[current.segments[0] || 'map']
      ? ROUTES[current.segments[0] || 'map'].tab : '');
  });
  // The profile's language and theme, before the first screen.
  await loadProfile().catch(() => null);
  rerender = startRouter(render);
}

start();
