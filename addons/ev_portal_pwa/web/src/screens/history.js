// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client's history: finished sessions with their price and receipt,
// and the payments (top-ups, card captures, refunds).
import { api, apiBase } from '../api.js';
import { getLanguage, t } from '../i18n.js';
import { h, heading } from '../ui.js';
import { energy, money } from './account.js';

function when(value) {
  if (!value) {
    return '';
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return String(value);
  }
  return new Intl.DateTimeFormat(getLanguage(), {
    dateStyle: 'medium',
    timeStyle: value.includes('T') ? 'short' : undefined,
  }).format(date);
}

function receiptLink(invoice) {
  if (!invoice) {
    return null;
  }
  return h('a', {
    href: `${apiBase()}invoices/${invoice.id}/receipt`,
    target: '_blank', rel: 'noopener', className: 'receipt-link',
  }, t('history.receipt', { number: invoice.number || invoice.id }));
}

function sessionItem(session) {
  const connector = session.connector || {};
  return h('li', { className: 'history-item' },
    h('h3', {}, (session.station || {}).name || ''),
    h('p', { className: 'history-item__meta' },
      h('span', {}, when(session.started_at)), ' — ',
      h('span', {}, when(session.stopped_at))),
    h('p', {},
      h('span', {}, t('history.connector', {
        number: connector.number ?? '', type: connector.type || '',
      })), ' · ',
      h('span', {}, energy(session.energy_wh)), ' · ',
      h('strong', { className: 'history-item__amount' },
        money(session.amount, session.currency))),
    h('p', { className: 'history-item__meta' },
      t(`billing.${session.billing_state || 'none'}`), ' ',
      receiptLink(session.invoice)));
}

function paymentItem(payment) {
  return h('li', { className: 'history-item' },
    h('p', {},
      h('strong', {}, t(`payment.kind_${payment.kind}`)), ' · ',
      h('span', {}, when(payment.date)), ' · ',
      h('span', { className: 'history-item__amount' },
        money(payment.amount, payment.currency))),
    h('p', { className: 'history-item__meta' },
      t(`payment.state_${payment.state}`), ' ',
      receiptLink(payment.invoice)));
}

export async function historyScreen(main, route, isCurrent) {
  main.append(heading(t('history.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const data = await api.get('history', { limit: 50 });
  if (!isCurrent()) {
    return;
  }
  const sessions = data.sessions || [];
  const payments = data.payments || [];
  main.replaceChildren(heading(t('history.title')),
    h('section', { 'aria-labelledby': 'sessions-title' },
      h('h2', { id: 'sessions-title' }, t('history.sessions')),
      sessions.length
        ? h('ul', { className: 'history-list', id: 'history-sessions' },
          sessions.map(sessionItem))
        : h('p', {}, t('history.no_sessions'))),
    h('section', { 'aria-labelledby': 'payments-title' },
      h('h2', { id: 'payments-title' }, t('history.payments')),
      payments.length
        ? h('ul', { className: 'history-list', id: 'history-payments' },
          payments.map(paymentItem))
        : h('p', {}, t('history.no_payments'))),
    h('p', {}, h('a', { href: '#/account' }, t('account.title'))));
}
