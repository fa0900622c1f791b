// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client's account: balance, available balance, how charging is paid,
// a top-up by card (the acquirer's checkout page) and promo codes.
import { api } from '../api.js';
import { formatNumber, getLanguage, t } from '../i18n.js';
import {
  announce, field, h, heading, onSubmit, selectField,
} from '../ui.js';

// Money comes as text (Decimal) with its currency code.
export function money(amount, currency) {
  if (amount === null || amount === undefined) {
    return '—';
  }
  const value = Number(amount);
  if (!Number.isFinite(value)) {
    return String(amount);
  }
  try {
    return new Intl.NumberFormat(getLanguage(), {
      style: 'currency', currency: String(currency || '').toUpperCase(),
    }).format(value);
  } catch (error) {
    return `${formatNumber(value)} ${currency || ''}`.trim();
  }
}

export function energy(wh) {
  return t('account.kwh', {
    value: formatNumber((wh || 0) / 1000, { maximumFractionDigits: 2 }),
  });
}

function balanceCard(account) {
  return h('section', { className: 'card', 'aria-labelledby': 'balance-title' },
    h('h2', { id: 'balance-title' }, t('account.balance')),
    h('p', { className: 'account-balance', id: 'account-balance' },
      money(account.balance, account.currency)),
    h('p', {}, t('account.available'), ': ',
      h('strong', { id: 'account-available' },
        money(account.available, account.currency))));
}

function methodForm(account) {
  const form = h('form', { className: 'card form', id: 'method-form' },
    h('h2', {}, t('account.method_title')),
    selectField(t('field.payment_method'), {
      name: 'method', value: account.payment_method || 'balance',
    }, [['balance', t('account.method_balance')],
      ['card', t('account.method_card')]]),
    account.card_saved ? null : h('p', { className: 'hint' },
      t('account.no_card')),
    h('button', { type: 'submit', className: 'button' }, t('action.save')));
  onSubmit(form, async (data) => {
    await api.post('payment-method', { method: data.get('method') });
    announce(t('account.method_saved'));
  });
  return form;
}

function topupForm(account) {
  const form = h('form', { className: 'card form', id: 'topup-form' },
    h('h2', {}, t('account.topup_title')),
    field(t('field.amount'), {
      type: 'number', name: 'amount', min: '1', step: '0.01',
      inputmode: 'decimal', required: true,
    }, account.currency ? t('account.topup_hint', {
      currency: String(account.currency).toUpperCase(),
    }) : ''),
    h('button', { type: 'submit', className: 'button' },
      t('action.topup')));
  onSubmit(form, async (data) => {
    const result = await api.post('topup', { amount: data.get('amount') });
    announce(t('account.topup_redirect'));
    // The acquirer's checkout page takes the card; it returns to the app.
    window.location.assign(result.url);
  });
  return form;
}

function promoForm() {
  const output = h('p', { id: 'promo-result', role: 'status' });
  const form = h('form', { className: 'card form', id: 'promo-form' },
    h('h2', {}, t('promo.title')),
    field(t('field.promo_code'), {
      name: 'code', required: true, autocomplete: 'off',
      autocapitalize: 'characters', maxlength: '100',
    }),
    h('button', { type: 'submit', className: 'button' }, t('action.check')),
    output);
  onSubmit(form, async (data) => {
    output.textContent = '';
    const result = await api.post('promo-codes/check', {
      code: data.get('code'),
    });
    output.className = result.valid ? 'promo promo--valid'
      : 'promo promo--invalid';
    output.textContent = result.valid
      ? t('promo.valid', {
        code: result.code, description: result.description || '',
      })
      : result.reason || t('promo.invalid');
  });
  return form;
}

export async function accountScreen(main, route, isCurrent) {
  main.append(heading(t('account.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const account = await api.get('account');
  if (!isCurrent()) {
    return;
  }
  main.replaceChildren(heading(t('account.title')),
    balanceCard(account),
    topupForm(account),
    methodForm(account),
    promoForm(),
    h('ul', { className: 'links' },
      h('li', {}, h('a', { href: '#/history' }, t('history.title'))),
      h('li', {}, h('a', { href: '#/subscriptions' },
        t('subscriptions.title')))));
}
