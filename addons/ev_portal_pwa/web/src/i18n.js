// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Translations: Russian first, English second. The browser's language is
// only a hint; the profile's language wins once it is known.
import en from './i18n/en.json';
import ru from './i18n/ru.json';

export const LANGUAGES = ['ru', 'en'];
const CATALOGS = { ru, en };
const STORAGE_KEY = 'ev.language';
let language = 'ru';

export function getLanguage() {
  return language;
}

export function t(key, params = {}) {
  const text = CATALOGS[language][key] ?? CATALOGS.ru[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (
    name in params ? String(params[name]) : all));
}

export function guessLanguage(stored, browserLanguages) {
  if (LANGUAGES.includes(stored)) {
    return stored;
  }
  for (const tag of browserLanguages || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) {
      return base;
    }
  }
  return 'ru';
}

function stored() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch (error) {
    return null;
  }
}

export function initLanguage() {
  setLanguage(guessLanguage(stored(), navigator.languages), false);
}

export function setLanguage(value, remember = true) {
  if (!LANGUAGES.includes(value)) {
    return;
  }
  const changed = value !== language;
  language = value;
  document.documentElement.lang = value;
  if (remember) {
    try {
      window.localStorage.setItem(STORAGE_KEY, value);
    } catch (error) {
      // Private mode: the choice lasts for the page only.
    }
  }
  if (changed) {
    window.dispatchEvent(new CustomEvent('ev:language'));
  }
}

export function formatNumber(value, options) {
  return new Intl.NumberFormat(language, options).format(value);
}
