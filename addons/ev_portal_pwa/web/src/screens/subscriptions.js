// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Subscriptions: the plans the client may buy, and the client's own with
// what is left of the period, and the stop of their renewal.
import { api } from '../api.js';
import { formatNumber, getLanguage, t } from '../i18n.js';
import { announce, h, heading, showError } from '../ui.js';
import { energy, money } from './account.js';

function day(value) {
  if (!value) {
    return '';
  }
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? String(value)
    : new Intl.DateTimeFormat(getLanguage(), {
      dateStyle: 'medium', timeZone: 'UTC',
    }).format(date);
}

function planFacts(plan) {
  const facts = [];
  if (plan.included_energy_wh) {
    facts.push(t('subscriptions.included_energy', {
      energy: energy(plan.included_energy_wh),
    }));
  }
  if (plan.included_minutes) {
    facts.push(t('subscriptions.included_minutes', {
      minutes: formatNumber(plan.included_minutes),
    }));
  }
  if (Number(plan.discount_rate)) {
    facts.push(t('subscriptions.discount', {
      rate: formatNumber(Number(plan.discount_rate) * 100,
        { maximumFractionDigits: 2 }),
    }));
  }
  if (plan.waive_start_fee) {
    facts.push(t('subscriptions.no_start_fee'));
  }
  return facts;
}

function button(text, onclick, secondary = false) {
  return h('button', {
    type: 'button',
    className: secondary ? 'button button--secondary' : 'button',
    onclick: async (event) => {
      const target = event.currentTarget;
      target.disabled = true;
      target.setAttribute('aria-busy', 'true');
      try {
        if (await onclick() === false) {
          target.disabled = false;
          target.removeAttribute('aria-busy');
        }
      } catch (error) {
        showError(error);
        target.disabled = false;
        target.removeAttribute('aria-busy');
      }
    },
  }, text);
}

function offerItem(plan, reload) {
  return h('li', { className: 'card plan' },
    h('h3', {}, plan.name),
    plan.description ? h('p', {}, plan.description) : null,
    h('p', {}, h('strong', {}, money(plan.fee, plan.currency)),
      plan.period ? ` / ${plan.period}` : ''),
    h('ul', {}, planFacts(plan).map((fact) => h('li', {}, fact))),
    button(t('subscriptions.buy', { name: plan.name }), async () => {
      await api.post('subscriptions', { plan: plan.id });
      announce(t('subscriptions.bought', { name: plan.name }));
      await reload();
    }));
}

function mineItem(subscription, reload) {
  const plan = subscription.plan || {};
  const left = [];
  if (plan.included_energy_wh) {
    left.push(t('subscriptions.energy_left', {
      left: energy(subscription.energy_left_wh),
      used: energy(subscription.energy_used_wh),
    }));
  }
  if (plan.included_minutes) {
    left.push(t('subscriptions.minutes_left', {
      left: formatNumber(Number(subscription.minutes_left || 0)),
      used: formatNumber(Number(subscription.minutes_used || 0)),
    }));
  }
  return h('li', { className: 'card plan' },
    h('h3', {}, plan.name || subscription.number || ''),
    h('p', {}, t('subscriptions.period', {
      start: day(subscription.period_start),
      end: day(subscription.period_end),
    })),
    left.map((text) => h('p', {}, text)),
    h('p', { className: 'hint' }, subscription.renews
      ? t('subscriptions.renews')
      : t('subscriptions.ends', { date: day(subscription.end_date) })),
    subscription.renews ? button(t('subscriptions.cancel'), async () => {
      if (!window.confirm(t('subscriptions.cancel_confirm'))) {
        return false;
      }
      await api.post(`subscriptions/${subscription.id}/cancel`);
      announce(t('subscriptions.cancelled'));
      await reload();
      return true;
    }, true) : null);
}

export async function subscriptionsScreen(main, route, isCurrent) {
  main.append(heading(t('subscriptions.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const reload = async () => {
    const data = await api.get('subscriptions');
    if (!isCurrent()) {
      return;
    }
    const mine = data.subscriptions || [];
    const offers = data.offers || [];
    main.replaceChildren(heading(t('subscriptions.title')),
      h('section', { 'aria-labelledby': 'mine-title' },
        h('h2', { id: 'mine-title' }, t('subscriptions.mine')),
        mine.length
          ? h('ul', { className: 'plan-list', id: 'my-subscriptions' },
            mine.map((s) => mineItem(s, reload)))
          : h('p', {}, t('subscriptions.none'))),
      h('section', { 'aria-labelledby': 'offers-title' },
        h('h2', { id: 'offers-title' }, t('subscriptions.offers')),
        offers.length
          ? h('ul', { className: 'plan-list', id: 'offers' },
            offers.map((plan) => offerItem(plan, reload)))
          : h('p', {}, t('subscriptions.no_offers'))));
  };
  await reload();
}
