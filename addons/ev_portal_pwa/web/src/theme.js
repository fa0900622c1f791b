// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Light and dark themes: a data-theme attribute on <html> selects the CSS
// variables of src/app.css.
export const THEMES = ['light', 'dark'];
const STORAGE_KEY = 'ev.theme';
const COLORS = { light: '#0b6e4f', dark: '#101418' };

export function getTheme() {
  return document.documentElement.dataset.theme || 'light';
}

export function setTheme(value, remember = true) {
  if (!THEMES.includes(value)) {
    return;
  }
  document.documentElement.dataset.theme = value;
  const meta = document.querySelector('meta[name="theme-color"]');
  if (meta) {
    meta.content = COLORS[value];
  }
  if (remember) {
    try {
      window.localStorage.setItem(STORAGE_KEY, value);
    } catch (error) {
      // Private mode: the choice lasts for the page only.
    }
  }
  window.dispatchEvent(new CustomEvent('ev:theme'));
}

export function initTheme() {
  let value = null;
  try {
    value = window.localStorage.getItem(STORAGE_KEY);
  } catch (error) {
    value = null;
  }
  if (!THEMES.includes(value)) {
    const dark = window.matchMedia
      && window.matchMedia('(prefers-color-scheme: dark)').matches;
    value = dark ? 'dark' : 'light';
  }
  setTheme(value, false);
}
