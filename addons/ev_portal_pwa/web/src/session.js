// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The logged-in client's profile, and applying its preferences.
import { api, ApiError, hasSession, setCsrfToken } from './api.js';
import { setLanguage } from './i18n.js';
import { setTheme } from './theme.js';

let profile = null;

export function getProfile() {
  return profile;
}

export function applyProfile(value) {
  profile = value || null;
  if (profile) {
    if (profile.language) {
      setLanguage(profile.language);
    }
    if (profile.theme) {
      setTheme(profile.theme);
    }
  }
  window.dispatchEvent(new CustomEvent('ev:profile'));
}

// Reads GET me: null when not logged in (or offline with nothing cached).
export async function loadProfile() {
  if (!hasSession()) {
    applyProfile(null);
    return profile;
  }
  try {
    applyProfile(await api.get('me'));
  } catch (error) {
    if (!(error instanceof ApiError) || ![0, 401].includes(error.status)) {
      throw error;
    }
    if (error.status === 401) {
      applyProfile(null);
    }
  }
  return profile;
}

export async function login(email, password) {
  const data = await api.post('auth/login', { email, password });
  setCsrfToken(data && data.csrf_token);
  // Nothing of a client who used this device before may be read offline;
  // and GET me, through the service worker, keeps this profile for then.
  await clearApiCache();
  applyProfile(data && data.profile);
  api.get('me').catch(() => {});
  return profile;
}

export async function logout() {
  try {
    await api.post('auth/logout');
  } finally {
    setCsrfToken('');
    await clearApiCache();
    applyProfile(null);
  }
}

// Saves a part of the profile when logged in; the answer is the profile.
export async function saveProfile(values) {
  const data = await api.patch('me', values);
  applyProfile(data && typeof data === 'object' && data.email
    ? data : { ...profile, ...values });
  return profile;
}

export async function clearApiCache() {
  if ('caches' in window) {
    try {
      await window.caches.delete('ev-api-v1');
    } catch (error) {
      // Nothing cached, or no Cache Storage here.
    }
  }
}
