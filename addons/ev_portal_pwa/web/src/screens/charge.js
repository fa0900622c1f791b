// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Start charging: the connector, its price for the client (ev_tariff's
// quote), the payment method, a promo code, and the Start button.
import { api } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { navigate } from '../router.js';
import { getProfile } from '../session.js';
import { statusBadge } from '../stations.js';
import {
  clearError, field, formatPower, h, heading, onSubmit, showError,
} from '../ui.js';
import { beep, money } from './live.js';

const STARTABLE = ['available', 'preparing'];

function priceBlock(quote) {
  const price = quote.price;
  if (!price) {
    return [h('p', {}, t('station.no_price'))];
  }
  const lines = (price.lines || []).map((line) => h('li', {},
    h('span', {}, line.label || line.kind || ''), ' ',
    h('strong', {}, money(line.unit_price, price.currency),
      line.unit_label ? ` / ${line.unit_label}` : ''),
    line.source ? h('span', { className: 'hint' }, ` (${line.source})`)
      : null));
  return [
    h('p', {}, price.tariff_name || ''),
    h('ul', { className: 'price-lines' }, lines),
    h('p', { id: 'quote-total' }, t('charge.example', {
      energy: formatNumber(quote.energy_wh / 1000),
      minutes: formatNumber(quote.minutes),
      total: money(price.total, price.currency),
    })),
    quote.discounts && quote.discounts.length
      ? h('p', { id: 'quote-discounts' },
        t('charge.discounts', { names: quote.discounts.join(', ') }))
      : null,
  ];
}

function paymentBlock(payment) {
  if (!payment) {
    return [];
  }
  if (payment.method === 'card') {
    return [h('p', { id: 'payment-method' }, t('charge.pay_card', {
      amount: money(payment.preauthorization, payment.currency),
    }))];
  }
  return [h('p', { id: 'payment-method' },
    payment.available === null || payment.available === undefined
      ? t('charge.pay_balance')
      : t('charge.pay_balance_available', {
        amount: money(payment.available, payment.currency),
      }))];
}

function promoBlock(promo) {
  if (!promo) {
    return null;
  }
  if (!promo.valid) {
    return h('p', { id: 'promo-result', className: 'field-error' },
      promo.reason || t('error.http_400'));
  }
  return h('p', { id: 'promo-result' }, t(promo.reserved
    ? 'charge.promo_reserved' : 'charge.promo_valid', {
    code: promo.code, description: promo.description || '',
  }));
}

export async function chargeScreen(main, route, isCurrent) {
  const id = route.segments[1] || '';
  if (!getProfile()) {
    navigate(`/login?next=/station/${id}/charge`);
    return undefined;
  }
  main.append(heading(t('charge.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const station = await api.get(`stations/${encodeURIComponent(id)}`);
  if (!isCurrent()) {
    return undefined;
  }
  const connectors = station.connectors || [];
  const free = connectors.find((c) => STARTABLE.includes(c.status));
  let connector = String((free || connectors[0] || {}).id || '');
  let code = '';
  let quote = null;

  const choices = h('fieldset', { className: 'connector-choice' },
    h('legend', {}, t('charge.connector')),
    connectors.map((c) => {
      const inputId = `connector-${c.id}`;
      return h('div', { className: 'field field--check' },
        h('input', {
          type: 'radio', name: 'connector', id: inputId, value: String(c.id),
          checked: String(c.id) === connector,
          onchange: () => {
            connector = String(c.id);
            requote();
          },
        }),
        h('label', { for: inputId },
          `${c.number} · ${c.type || ''} · `,
          formatPower(c.power_w || 0, formatNumber), ' ',
          statusBadge(c.status)));
    }));
  const quoteSection = h('section', {
    className: 'card', 'aria-labelledby': 'quote-title', 'aria-live': 'polite',
  });
  const payment = h('section', {
    className: 'card', 'aria-labelledby': 'payment-title',
  });
  const promoField = field(t('charge.promo'), {
    name: 'code', autocomplete: 'off', autocapitalize: 'characters',
    maxlength: '50',
  });
  const promoResult = h('div', { id: 'promo-area' });
  const promoForm = onSubmit(h('form', { className: 'promo-form' },
    promoField,
    h('button', { type: 'submit', className: 'button button--secondary' },
      t('charge.apply')), promoResult), async (data) => {
    code = String(data.get('code') || '').trim();
    await requote();
  });
  const reason = h('p', { id: 'start-reason', className: 'field-error' });
  const startButton = h('button', {
    type: 'button', id: 'start-button', className: 'button',
    onclick: async () => {
      startButton.disabled = true;
      startButton.setAttribute('aria-busy', 'true');
      clearError();
      try {
        // A refused code is not sent: the start is at the price shown,
        // which is without it (a reserved one applies by itself).
        const promo = quote && quote.promo;
        await api.post('sessions', {
          connector: Number(connector),
          code: code && promo && promo.valid && !promo.reserved
            ? code : undefined,
        });
        beep('start');
        navigate('/session');
      } catch (error) {
        showError(error);
        startButton.disabled = false;
      } finally {
        startButton.removeAttribute('aria-busy');
      }
    },
  }, t('charge.start'));

  function render() {
    quoteSection.replaceChildren(
      h('h2', { id: 'quote-title' }, t('station.price')),
      ...(quote ? priceBlock(quote) : [h('p', {}, t('state.loading'))]));
    payment.replaceChildren(
      h('h2', { id: 'payment-title' }, t('charge.payment')),
      ...paymentBlock(quote && quote.payment));
    promoResult.replaceChildren(promoBlock(quote && quote.promo) || '');
    const mayStart = Boolean(quote && quote.may_start);
    startButton.disabled = !mayStart;
    reason.textContent = quote && !quote.may_start ? quote.reason || '' : '';
    reason.hidden = !reason.textContent;
  }

  let asked = 0;
  async function requote() {
    asked += 1;
    const mine = asked;
    quote = null;
    render();
    try {
      const data = await api.get('quote', { connector, code });
      if (mine === asked && isCurrent()) {
        quote = data;
        render();
      }
    } catch (error) {
      if (mine === asked && isCurrent()) {
        showError(error);
      }
    }
  }

  main.replaceChildren(
    h('p', { className: 'back' }, h('a', { href: `#/station/${station.id}` },
      t('charge.back'))),
    heading(t('charge.title_station', { station: station.name })),
    h('section', { className: 'card' }, choices),
    quoteSection, payment,
    h('section', { className: 'card' }, promoForm),
    reason, startButton);
  render();
  if (connector) {
    await requote();
  }
  return undefined;
}
