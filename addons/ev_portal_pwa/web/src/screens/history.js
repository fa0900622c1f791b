// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client's history: finished sessions with their price and receipt,
// and the payments (top-ups, card captures, refunds).
import { api, apiBase } from '../api.js';
import { getLanguage, t } from '../i18n.js';
import { h, heading } from '../ui.js';
import { energy, money } from './account.js';

function parse(value) {
  if (!value) {
    return null;
  }
  // A date without a time is the client's day, not UTC midnight.
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  const date = day ? new Date(Number(day[1]), Number(day[2]) - 1,
    Number(day[3])) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function when(value, withTime = String(value || '').includes('T')) {
  const date = parse(value);
  if (!date) {
    return value ? String(value) : '';
  }
  return new Intl.DateTimeFormat(getLanguage(), {
    dateStyle: 'medium',
    timeStyle: withTime ? 'short' : undefined,
  }).format(date);
}

function time(value) {
  const date = parse(value);
  return date
    ? h('time', { datetime: String(value) }, when(value))
    : h('span', {}, when(value));
}

// How long the session lasted: "1 h 5 min", "45 min", "2 h".
function duration(start, stop) {
  const from = parse(start);
  const to = parse(stop);
  if (!from || !to || to < from) {
    return '';
  }
  const total = Math.round((to - from) / 60000);
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  if (!hours) {
    return t('history.duration_m', { minutes });
  }
  return minutes
    ? t('history.duration_hm', { hours, minutes })
    : t('history.duration_h', { hours });
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

// A priced session has its receipt at once; the invoice that includes it
// (at the month's end when billing is monthly) comes with its own link.
function sessionLinks(session) {
  const links = [];
  if (session.amount !== null && session.amount !== undefined) {
    links.push(h('a', {
      href: `${apiBase()}sessions/${session.id}/receipt`,
      target: '_blank', rel: 'noopener', className: 'receipt-link',
    }, t('history.receipt', { number: session.number || session.id })));
  }
  if (session.invoice) {
    links.push(h('a', {
      href: `${apiBase()}invoices/${session.invoice.id}/receipt`,
      target: '_blank', rel: 'noopener', className: 'invoice-link',
    }, t('history.invoice', {
      number: session.invoice.number || session.invoice.id,
    })));
  }
  return links;
}

// A session as a card on a phone, a row on a wide screen: the station and
// the price on top, then when, how long and how much energy, then the
// billing state and the receipt.
function sessionItem(session) {
  const connector = session.connector || {};
  const refunded = Number(session.refunded || 0);
  const took = duration(session.started_at, session.stopped_at);
  return h('li', { className: 'history-item history-item--session' },
    h('h3', { className: 'history-item__title' },
      (session.station || {}).name || ''),
    h('strong', { className: 'history-item__amount' },
      money(session.amount, session.currency)),
    h('p', { className: 'history-item__date' }, time(session.started_at)),
    h('p', { className: 'history-item__facts' },
      h('span', { className: 'history-item__energy' },
        energy(session.energy_wh)),
      took ? h('span', { className: 'history-item__duration' }, took) : null,
      h('span', {}, t('history.connector', {
        number: connector.number ?? '', type: connector.type || '',
      }).trim())),
    h('p', { className: 'history-item__foot' },
      h('span', { className: 'history-item__state' },
        t(`billing.${session.billing_state || 'none'}`)),
      refunded > 0 ? h('span', { className: 'history-item__state' },
        t('history.refunded', {
          amount: money(session.refunded, session.currency),
        })) : null,
      ...sessionLinks(session),
      h('a', {
        href: `#/support/new?session=${session.id}`, className: 'support-link',
      }, t('support.history_link'))));
}

function paymentItem(payment) {
  return h('li', {
    className: `history-item history-item--payment history-item--${
      payment.kind}`,
  },
  h('h3', { className: 'history-item__title' },
    t(`payment.kind_${payment.kind}`)),
  h('strong', { className: 'history-item__amount' },
    money(payment.amount, payment.currency)),
  h('p', { className: 'history-item__date' }, time(payment.date)),
  h('p', { className: 'history-item__foot' },
    h('span', { className: 'history-item__state' },
      t(`payment.state_${payment.state}`)),
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
