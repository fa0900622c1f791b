// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client's notifications. There is no push service: while the app is
// open, visible and logged in, it polls GET notifications every 60 s (and
// when it becomes visible again). The unread count goes to the badge (the
// ev:notifications event); the items this device has not shown yet play
// the sound of a finished session and, when the client allowed it, become
// notifications of the device through the service worker.
import { api, hasSession } from './api.js';
import { beep } from './screens/live.js';
import { getProfile } from './session.js';

export const POLL_MS = 60000;
const STORAGE_PREFIX = 'ev.notify.';
const MAX_KNOWN = 200;
// An item may reach the feed a little after its time (a charger's clock,
// a payment confirmed late): each poll asks again from a margin before the
// newest time it has, and the ids tell what is new.
const MARGIN_MS = 10 * 60 * 1000;

let unread = 0;
let timer = null;
let polling = null;
let account = null;

export function getUnread() {
  return unread;
}

export function setUnread(value) {
  unread = Math.max(0, Number(value) || 0);
  window.dispatchEvent(new CustomEvent('ev:notifications', {
    detail: { unread },
  }));
}

function storageKey() {
  const profile = getProfile();
  return profile && profile.email ? STORAGE_PREFIX + profile.email : null;
}

function loadState() {
  const key = storageKey();
  if (!key) {
    return null;
  }
  try {
    const state = JSON.parse(window.localStorage.getItem(key));
    return state && Array.isArray(state.known) ? state : null;
  } catch (error) {
    return null;
  }
}

function saveState(state) {
  const key = storageKey();
  if (!key) {
    return;
  }
  try {
    window.localStorage.setItem(key, JSON.stringify(state));
  } catch (error) {
    // Private mode or full: the items may show again after a reload.
  }
}

// Remembers the items as shown on this device and returns those it had not
// shown yet: none on the first poll, which must not replay the past.
export function remember(items) {
  const state = loadState();
  const known = state ? state.known : [];
  const seen = new Set(known);
  const fresh = items.filter((item) => item && item.id && !seen.has(item.id));
  let since = state && state.since ? state.since : '';
  for (const item of items) {
    if (item && item.at > since) {
      since = item.at;
    }
  }
  saveState({
    known: [...fresh.map((item) => item.id), ...known].slice(0, MAX_KNOWN),
    since,
  });
  return state ? fresh : [];
}

export function safeUrl(url) {
  return typeof url === 'string' && url.startsWith('#/')
    ? url : '#/notifications';
}

export function systemAllowed() {
  const profile = getProfile();
  return Boolean(profile && profile.notify_system
    && 'Notification' in window && Notification.permission === 'granted'
    && 'serviceWorker' in navigator);
}

function show(item) {
  // The live screen plays its own sound when the session ends.
  if (item.kind === 'session_finished'
      && !window.location.hash.startsWith('#/session')) {
    beep('stop');
  }
  if (!systemAllowed()) {
    return;
  }
  navigator.serviceWorker.ready.then((registration) => (
    registration.showNotification(item.title, {
      body: item.body,
      tag: item.id,
      icon: './icons/icon-192.png',
      lang: document.documentElement.lang,
      data: { url: safeUrl(item.url) },
    }))).catch(() => {
    // Refused by the system: the list in the app still has it.
  });
}

function isoSeconds(time) {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function poll() {
  if (!getProfile() || !hasSession()
      || document.visibilityState === 'hidden') {
    return Promise.resolve();
  }
  if (!polling) {
    polling = (async () => {
      const state = loadState();
      const query = {};
      const since = state && Date.parse(state.since);
      if (since) {
        query.since = isoSeconds(since - MARGIN_MS);
      }
      try {
        const data = await api.get('notifications', query);
        setUnread(data && data.unread);
        for (const item of remember((data && data.notifications) || [])) {
          show(item);
        }
      } catch (error) {
        // Offline, or logged out meanwhile: the next poll tries again.
      } finally {
        polling = null;
      }
    })();
  }
  return polling;
}

// The list was opened: its items are shown and read.
export async function markSeen(items) {
  remember(items);
  let until = '';
  for (const item of items) {
    if (item.at > until) {
      until = item.at;
    }
  }
  if (!until) {
    setUnread(0);
    return;
  }
  const data = await api.post('notifications/seen', { until });
  setUnread(data && data.unread);
}

function schedule() {
  window.clearInterval(timer);
  timer = null;
  if (getProfile() && document.visibilityState !== 'hidden') {
    timer = window.setInterval(poll, POLL_MS);
    poll();
  }
}

export function startNotifications() {
  document.addEventListener('visibilitychange', schedule);
  window.addEventListener('ev:profile', () => {
    const profile = getProfile();
    const email = profile ? profile.email : null;
    if (email === account) {
      return;
    }
    account = email;
    if (!email) {
      setUnread(0);
    }
    schedule();
  });
  account = getProfile() ? getProfile().email : null;
  schedule();
}
