// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The JSON API client. The app lives at /<db>/ev/app/ and its API at
// /<db>/ev/api/v1/, so the base is derived from the page's own path.
import { getLanguage, t } from './i18n.js';

let csrfFallback = '';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function apiBase(pathname = window.location.pathname) {
  const match = /^(.*\/ev\/)app(\/.*)?$/.exec(pathname);
  if (match) {
    return `${match[1]}api/v1/`;
  }
  // Not served under /<db>/ev/app/: assume the app's folder is the root.
  return pathname.replace(/[^/]*$/, '') + 'api/v1/';
}

export function readCookie(name, cookies = document.cookie) {
  for (const part of cookies.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) {
      return decodeURIComponent(part.slice(index + 1).trim());
    }
  }
  return '';
}

export function setCsrfToken(token) {
  csrfFallback = token || '';
}

// The login sets the readable ev_csrf cookie beside the HttpOnly session:
// without it there is no session to ask about.
export function hasSession() {
  return Boolean(readCookie('ev_csrf') || csrfFallback);
}

function fallbackMessage(status) {
  const known = [400, 401, 403, 404, 429];
  return t(known.includes(status) ? `error.http_${status}` : 'error.server');
}

export async function request(method, path, { body, query } = {}) {
  const url = new URL(apiBase() + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') {
      url.searchParams.set(key, String(value));
    }
  }
  const headers = {
    Accept: 'application/json',
    'Accept-Language': getLanguage(),
  };
  if (method !== 'GET' && method !== 'HEAD') {
    if (!readCookie('ev_csrf') && !csrfFallback) {
      // The server hands out the CSRF cookie with any API answer; a form
      // may be the first thing a visitor sends (register from an e-mail).
      try {
        await fetch(new URL(apiBase() + 'config', window.location.origin),
          { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      } catch (error) {
        throw new ApiError(0, 'network', t('error.network'));
      }
    }
    const token = readCookie('ev_csrf') || csrfFallback;
    if (token) {
      headers['X-CSRF-Token'] = token;
    }
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'network', t('error.network'));
  }
  if (response.headers.get('X-EV-Offline')) {
    window.dispatchEvent(new CustomEvent('ev:offline-data'));
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      data = null;
    }
  }
  if (!response.ok) {
    const detail = data && typeof data.error === 'object' ? data.error : {};
    throw new ApiError(
      response.status,
      detail.code || `http_${response.status}`,
      detail.message || fallbackMessage(response.status));
  }
  return data;
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body: body || {} }),
  patch: (path, body) => request('PATCH', path, { body }),
  delete: (path) => request('DELETE', path, {}),
};
