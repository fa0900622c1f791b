// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The session in progress: energy, power, duration and cost, polled every
// 3 s and updated in place, and the Stop button with its confirmation.
import { api } from '../api.js';
import { formatNumber, getLanguage, t } from '../i18n.js';
import { navigate } from '../router.js';
import { getProfile } from '../session.js';
import { announce, clearError, h, heading, showError } from '../ui.js';

export const POLL_MS = 3000;

// A short beep (no sound file): higher for a start, lower for a stop.
export function beep(kind) {
  const profile = getProfile();
  if (!profile || !profile.sounds) {
    return;
  }
  document.documentElement.dataset.evSound = kind;
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) {
    return;
  }
  try {
    const context = new Context();
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const now = context.currentTime;
    oscillator.frequency.value = kind === 'stop' ? 440 : 880;
    gain.gain.setValueAtTime(0.15, now);
    gain.gain.exponentialRampToValueAtTime(0.001, now + 0.3);
    oscillator.connect(gain).connect(context.destination);
    oscillator.onended = () => context.close();
    oscillator.start(now);
    oscillator.stop(now + 0.3);
  } catch (error) {
    // No audio output: the screen says it all the same.
  }
}

export function money(amount, currency) {
  if (amount === null || amount === undefined) {
    return '—';
  }
  const value = Number(amount);
  try {
    return new Intl.NumberFormat(getLanguage(), {
      style: 'currency', currency: currency || 'RUB',
    }).format(value);
  } catch (error) {
    return `${formatNumber(value)} ${currency || ''}`.trim();
  }
}

export function formatDuration(seconds) {
  const total = Math.max(0, Math.floor(seconds || 0));
  const pad = (value) => String(value).padStart(2, '0');
  return `${Math.floor(total / 3600)}:${pad(Math.floor(total / 60) % 60)}:${
    pad(total % 60)}`;
}

function energy(wh) {
  return t('live.kwh', {
    value: formatNumber((wh || 0) / 1000, {
      minimumFractionDigits: 2, maximumFractionDigits: 2,
    }),
  });
}

function power(watts) {
  if (watts === null || watts === undefined) {
    return '—';
  }
  return t('unit.kw', {
    value: formatNumber(watts / 1000, { maximumFractionDigits: 1 }),
  });
}

export async function liveScreen(main, route, isCurrent) {
  let timer = null;
  let last = null;
  let seen = false;
  let confirming = false;
  const status = h('p', { id: 'live-state', className: 'live-state' },
    t('state.loading'));
  const values = {};
  const rows = ['energy', 'power', 'duration', 'cost', 'limit'].map((key) => {
    values[key] = h('dd', { id: `live-${key}` }, '—');
    return [h('dt', {}, t(`live.${key}`)), values[key]];
  });
  const details = h('dl', { className: 'details live-values' }, rows);
  const actions = h('div', { className: 'live-actions' });
  const where = h('p', { id: 'live-where' });
  main.append(heading(t('live.title')), where,
    h('section', { className: 'card', 'aria-live': 'polite' }, status),
    h('section', { className: 'card' }, details), actions);

  function stopControls(session) {
    if (session.state !== 'active' || session.stopping) {
      return [];
    }
    if (!confirming) {
      return [h('button', {
        type: 'button', id: 'stop-button', className: 'button',
        onclick: () => {
          confirming = true;
          render(last);
          document.getElementById('stop-confirm').focus();
        },
      }, t('live.stop'))];
    }
    return [h('div', {
      className: 'card', role: 'group', 'aria-labelledby': 'stop-question',
    },
    h('p', { id: 'stop-question' }, t('live.stop_confirm')),
    h('button', {
      type: 'button', id: 'stop-confirm', className: 'button',
      onclick: async (event) => {
        event.target.disabled = true;
        clearError();
        try {
          const data = await api.post(`sessions/${session.id}/stop`);
          confirming = false;
          beep('stop');
          announce(t('live.stop_sent'));
          render(data);
        } catch (error) {
          event.target.disabled = false;
          showError(error);
        }
      },
    }, t('live.stop_yes')), ' ',
    h('button', {
      type: 'button', id: 'stop-cancel', className: 'button button--secondary',
      onclick: () => {
        confirming = false;
        render(last);
        document.getElementById('stop-button').focus();
      },
    }, t('live.stop_no')))];
  }

  // The actions are redrawn only when they change: the focus stays.
  function setActions(key, children) {
    if (actions.dataset.key !== key) {
      actions.dataset.key = key;
      actions.replaceChildren(...children);
    }
  }

  function render(data) {
    const previous = last;
    last = data;
    if (!data) {
      details.hidden = !seen;
      where.hidden = !seen;
      status.textContent = seen ? t('live.finished') : t('live.none');
      setActions('none', [h('a', {
        href: '#/map', className: 'button button--secondary',
      }, t('nav.map'))]);
      if (previous && previous.state === 'active') {
        beep('stop');
      }
      return;
    }
    where.hidden = false;
    where.textContent = data.station && data.connector
      ? t('live.where', {
        station: data.station.name, number: data.connector.number,
      }) : '';
    if (!data.id) {
      // The start request, before the charger opens the session.
      details.hidden = true;
      status.textContent = t(data.state === 'start_failed'
        ? 'live.start_failed' : 'live.starting');
      setActions(data.state, []);
      return;
    }
    seen = true;
    details.hidden = false;
    status.textContent = data.stopping ? t('live.stopping')
      : t(`live.state_${data.state}`);
    values.energy.textContent = energy(data.energy_wh);
    values.power.textContent = power(data.power_w);
    values.duration.textContent = formatDuration(data.duration_s);
    values.cost.textContent = money(data.cost, data.currency);
    values.limit.textContent = money(data.spending_limit, data.currency);
    const controls = stopControls(data);
    setActions(!controls.length ? 'empty' : confirming ? 'confirm' : 'stop',
      controls);
  }

  async function poll() {
    try {
      const data = await api.get('sessions/current');
      if (!isCurrent()) {
        return;
      }
      render(data);
    } catch (error) {
      if (!isCurrent()) {
        return;
      }
      if (error.status === 401) {
        navigate('/login?next=/session');
        return;
      }
      showError(error);
    }
    timer = window.setTimeout(poll, POLL_MS);
  }

  await poll();
  return () => window.clearTimeout(timer);
}
