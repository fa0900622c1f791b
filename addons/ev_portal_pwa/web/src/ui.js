// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Small DOM helpers. Text from the server always goes in as text nodes,
// never as HTML.
import { t } from './i18n.js';

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'className') {
      element.className = value;
    } else if (key === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(key, '');
    } else {
      element.setAttribute(key, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.appendChild(child);
    } else {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
}

let counter = 0;

// A labelled input: the label is always there, for screen readers and for
// a bigger touch target.
export function field(label, attrs = {}, hint = '') {
  counter += 1;
  const id = attrs.id || `field-${counter}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h(attrs.tag || 'input', {
    ...attrs, tag: undefined, id, 'aria-describedby': hintId,
  });
  return h('div', { className: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { className: 'hint', id: hintId }, hint) : null);
}

export function selectField(label, attrs, options) {
  const wrapper = field(label, { ...attrs, tag: 'select' });
  const select = wrapper.querySelector('select');
  for (const [value, text] of options) {
    select.appendChild(h('option', {
      value, selected: String(attrs.value ?? '') === String(value),
    }, text));
  }
  return wrapper;
}

export function checkboxField(label, attrs = {}) {
  counter += 1;
  const id = attrs.id || `field-${counter}`;
  return h('div', { className: 'field field--check' },
    h('input', { type: 'checkbox', ...attrs, id }),
    h('label', { for: id }, label));
}

export function heading(text) {
  return h('h1', { tabindex: '-1', className: 'page-title' }, text);
}

export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = '';
  // A new node, so that screen readers read it even when it repeats.
  window.setTimeout(() => {
    status.textContent = message;
  }, 50);
}

export function showError(error) {
  const alert = document.getElementById('alert');
  const message = error && error.message ? error.message : t('error.server');
  alert.replaceChildren(
    h('p', {}, message),
    h('button', {
      type: 'button', className: 'link-button',
      onclick: () => clearError(),
    }, t('action.dismiss')));
  alert.classList.add('alert--shown');
}

export function clearError() {
  const alert = document.getElementById('alert');
  alert.replaceChildren();
  alert.classList.remove('alert--shown');
}

// Runs a form's submit handler with the button busy and errors shown.
export function onSubmit(form, handler) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) {
      return;
    }
    const button = form.querySelector('button[type="submit"]');
    clearError();
    if (button) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
    }
    try {
      await handler(new FormData(form));
    } catch (error) {
      showError(error);
    } finally {
      if (button) {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    }
  });
  return form;
}

export function formatPower(powerW, formatNumber) {
  return t('unit.kw', {
    value: formatNumber(powerW / 1000, { maximumFractionDigits: 1 }),
  });
}

export function formatDistance(meters, formatNumber) {
  if (meters < 1000) {
    return t('unit.m', { value: formatNumber(Math.round(meters)) });
  }
  return t('unit.km', {
    value: formatNumber(meters / 1000, { maximumFractionDigits: 1 }),
  });
}
