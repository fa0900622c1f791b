// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The service worker of the client app (not bundled: build.mjs fills in the
// version and the precache list). The shell is cache-first from a cache
// named after the build; API GETs of stations and of the account are
// network-first, keeping the last good answer for offline reading; anything
// else, and every non-GET, goes to the network untouched. A new version
// waits until the app's banner asks it to take over (SKIP_WAITING), so that
// a page never runs with the shell of another version. A click on one of
// the app's notifications focuses the app (or opens it) at the item's page.
const VERSION = '__VERSION__';
const SHELL = `ev-shell-${VERSION}`;
const API = 'ev-api-v1';
const PRECACHE = __PRECACHE__;
// Paths below <db>/ev/api/v1/ that may be read offline.
const OFFLINE_API = new RegExp('/ev/api/v1/(stations(/\\d+)?|me|account'
  + '|config|history|notifications)$');

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(PRECACHE.map((url) => new Request(url, {
      cache: 'reload',
    })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith('ev-shell-') && name !== SHELL)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  // Sent by the app on logout: the account's data must not stay readable.
  if (event.data && event.data.type === 'clear-api') {
    event.waitUntil(caches.delete(API));
  }
  // Sent by the new-version banner's Reload.
  if (event.data && event.data.type === 'SKIP_WAITING') {
    event.waitUntil(self.skipWaiting());
  }
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  // Only the app's own routes.
  const hash = typeof data.url === 'string' && data.url.startsWith('#/')
    ? data.url : '#/notifications';
  const scope = self.registration.scope;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({
      type: 'window', includeUncontrolled: true,
    });
    const client = windows.find((each) => each.url.startsWith(scope));
    if (client) {
      client.postMessage({ type: 'navigate', url: hash });
      await client.focus();
      return;
    }
    await self.clients.openWindow(scope + hash);
  })());
});

// The stations list is asked with the client's position: keep one answer
// per path, whatever the query, so that offline reading finds it.
function apiKey(url) {
  return new Request(url.origin + url.pathname);
}

async function networkFirst(request, url) {
  const cache = await caches.open(API);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(apiKey(url), response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(apiKey(url));
    if (!cached) {
      throw error;
    }
    const headers = new Headers(cached.headers);
    headers.set('X-EV-Offline', '1');
    return new Response(await cached.blob(), {
      status: cached.status, statusText: cached.statusText, headers,
    });
  }
}

async function shell(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, { ignoreVary: true });
  if (cached) {
    return cached;
  }
  try {
    return await fetch(request);
  } catch (error) {
    if (request.mode === 'navigate') {
      const index = await cache.match('./');
      if (index) {
        return index;
      }
    }
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || !url.protocol.startsWith('http')
      || url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname.includes('/ev/api/')) {
    if (OFFLINE_API.test(url.pathname)) {
      event.respondWith(networkFirst(request, url));
    }
    return;
  }
  const scope = new URL(self.registration.scope);
  if (!url.pathname.startsWith(scope.pathname)) {
    return;
  }
  if (request.mode === 'navigate') {
    // Hash routing: every navigation inside the scope is the shell, also
    // with e-mail links' ?token= queries.
    event.respondWith(shell(new Request(scope.href)));
    return;
  }
  event.respondWith(shell(request));
});
