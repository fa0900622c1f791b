// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client's account: balance, available balance, how charging is paid,
// the bank card saved for it, a top-up by card (the acquirer's checkout page)
// and promo codes.
import { api } from '../api.js';
import { formatNumber, getLanguage, t } from '../i18n.js';
import {
  announce, clearError, field, h, heading, onSubmit, selectField, showError,
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
  return h('section', {
    className: 'card balance-card', 'aria-labelledby': 'balance-title',
  },
  h('h2', { id: 'balance-title' }, t('account.balance')),
  h('p', { className: 'account-balance', id: 'account-balance' },
    money(account.balance, account.currency)),
  h('p', { className: 'account-available' }, t('account.available'), ': ',
    h('strong', { id: 'account-available' },
      money(account.available, account.currency))));
}

// The acquirer's pages (a top-up's checkout, the page where a card is
// saved) open in a window of their own, which closes itself once done
// (Tryton's checkout end page): meanwhile the app reads the account again,
// so what the page did shows up here by itself.
const WATCH_MS = 2000;
const WATCH_AFTER_CLOSE_MS = 60000;

// Opens the window within the tap (or the browser would block it), asks the
// API for the page and sends the window there; without a window the app
// itself goes to the page. Returns the window, or null.
async function openAcquirerPage(request, redirectMessage) {
  const page = window.open('', 'ev-checkout');
  let result;
  try {
    result = await request();
  } catch (error) {
    if (page) {
      page.close();
    }
    throw error;
  }
  if (!page) {
    announce(redirectMessage);
    window.location.assign(result.url);
    return null;
  }
  page.location.replace(result.url);
  return page;
}

// The saved card and the button to save one, or replace it.
function cardStatus(account, watchCard) {
  const button = h('button', {
    type: 'button', className: 'button button--secondary', id: 'card-save',
  }, account.card_saved ? t('card.replace') : t('card.save'));
  button.addEventListener('click', async () => {
    clearError();
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const page = await openAcquirerPage(
        () => api.post('cards', {}), t('card.redirect'));
      if (page) {
        announce(t('card.waiting'));
        watchCard(page, cardKey(account));
      }
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
  return h('div', { className: 'card-status', id: 'card-status' },
    h('p', {
      className: account.card_saved ? 'card-status__saved' : 'hint',
    }, cardText(account)),
    button,
    h('p', { className: 'hint' }, t('card.hint')));
}

// The card as the client knows it: its brand and last digits.
function cardText(account) {
  if (!account.card_saved) {
    return t('account.no_card');
  }
  const { card } = account;
  return card && card.last4 ? t('card.saved_number', {
    brand: String(card.brand || '').toUpperCase(), last4: card.last4,
  }) : t('card.saved');
}

// What tells one saved card from another.
function cardKey(account) {
  return account.card_saved
    ? `saved ${(account.card && account.card.last4) || ''}` : '';
}

function methodForm(account, watchCard) {
  const form = h('form', { className: 'card form', id: 'method-form' },
    h('h2', {}, t('account.method_title')),
    cardStatus(account, watchCard),
    selectField(t('field.payment_method'), {
      name: 'method', value: account.payment_method || 'balance',
    }, [['balance', t('account.method_balance')],
      ['card', t('account.method_card')]]),
    h('button', { type: 'submit', className: 'button' }, t('action.save')));
  onSubmit(form, async (data) => {
    await api.post('payment-method', { method: data.get('method') });
    announce(t('account.method_saved'));
  });
  return form;
}

function topupForm(account, watchBalance) {
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
    const checkout = await openAcquirerPage(
      () => api.post('topup', { amount: data.get('amount') }),
      t('account.topup_redirect'));
    if (checkout) {
      announce(t('account.topup_waiting'));
      watchBalance(checkout);
    }
  });
  return form;
}

// A code is checked, or added to the account: it then waits for the next
// session (ev_tariff binds it at the start) and can be given back until.
function promoCodeItem(code, currency, refresh) {
  const used = code.state === 'applied';
  return h('li', { className: 'promo-code' },
    h('strong', {}, code.code), ' ',
    h('span', {}, code.description || code.promotion || ''),
    h('p', { className: 'hint' }, used
      ? t('promo.state_applied', {
        date: new Intl.DateTimeFormat(getLanguage(), { dateStyle: 'medium' })
          .format(new Date(code.applied_at || code.redeemed_at)),
        amount: money(code.discount || 0, currency),
      })
      : t('promo.state_reserved')),
    used ? null : h('button', {
      type: 'button', className: 'button button--secondary',
      'aria-label': t('promo.withdraw_code', { code: code.code }),
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          await api.delete(`promo-codes/${code.id}`);
          announce(t('promo.withdrawn', { code: code.code }));
          await refresh();
        } catch (error) {
          event.target.disabled = false;
          showError(error);
        }
      },
    }, t('promo.withdraw')));
}

function promoForm(account) {
  const output = h('p', { id: 'promo-result', role: 'status' });
  const list = h('ul', { className: 'promo-codes', id: 'promo-codes' });
  const mine = h('div', { hidden: true },
    h('h3', {}, t('promo.mine')), list);
  async function refresh() {
    try {
      const { codes } = await api.get('promo-codes');
      list.replaceChildren(...codes.map(
        (code) => promoCodeItem(code, account.currency, refresh)));
      mine.hidden = !codes.length;
    } catch (error) {
      // Offline: the form still says what a code would give.
    }
  }
  const input = field(t('field.promo_code'), {
    name: 'code', required: true, autocomplete: 'off',
    autocapitalize: 'characters', maxlength: '100',
  });
  const check = h('button', {
    type: 'button', className: 'button button--secondary',
    onclick: async () => {
      if (!form.reportValidity()) {
        return;
      }
      clearError();
      output.textContent = '';
      try {
        const result = await api.post('promo-codes/check', {
          code: new FormData(form).get('code'),
        });
        output.className = result.valid ? 'promo promo--valid'
          : 'promo promo--invalid';
        output.textContent = result.valid
          ? t('promo.valid', {
            code: result.code, description: result.description || '',
          })
          : result.reason || t('promo.invalid');
      } catch (error) {
        showError(error);
      }
    },
  }, t('action.check'));
  const form = h('form', { className: 'card form', id: 'promo-form' },
    h('h2', {}, t('promo.title')),
    input,
    h('div', { className: 'form-actions' },
      h('button', { type: 'submit', className: 'button' }, t('promo.add')),
      ' ', check),
    output, mine);
  onSubmit(form, async (data) => {
    output.textContent = '';
    const code = await api.post('promo-codes', { code: data.get('code') });
    output.className = 'promo promo--valid';
    output.textContent = t('promo.added', {
      code: code.code, description: code.description || '',
    });
    form.reset();
    await refresh();
  });
  refresh();
  return form;
}

export async function accountScreen(main, route, isCurrent) {
  main.append(heading(t('account.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const account = await api.get('account');
  if (!isCurrent()) {
    return;
  }
  let balance = balanceCard(account);
  let method = null;
  const timers = {};
  // Reads the account every WATCH_MS while the acquirer's window is open,
  // until update(fresh, closed) tells it is done, or a minute after the
  // window closed; closed: whether it was closed before the read.
  function watchAccount(name, page, update) {
    window.clearTimeout(timers[name]);
    let closedAt = null;
    const tick = async () => {
      if (!isCurrent()) {
        return;
      }
      const closed = page.closed;
      try {
        const fresh = await api.get('account');
        if (!isCurrent() || update(fresh, closed)) {
          return;
        }
      } catch (error) {
        // Offline for a moment: the next tick tries again.
      }
      if (closed) {
        closedAt = closedAt || Date.now();
        if (Date.now() - closedAt > WATCH_AFTER_CLOSE_MS) {
          return;
        }
      }
      timers[name] = window.setTimeout(tick, WATCH_MS);
    };
    timers[name] = window.setTimeout(tick, WATCH_MS);
  }
  // The top-up is in when the balance changes.
  function watchBalance(checkout) {
    const before = balance.textContent;
    watchAccount('balance', checkout, (fresh) => {
      const card = balanceCard(fresh);
      balance.replaceWith(card);
      balance = card;
      if (balance.textContent !== before) {
        announce(t('account.topup_done'));
        return true;
      }
      return false;
    });
  }
  // A card is in when the account shows another one than before (a first
  // card, or other last digits), or once the window has closed (the end
  // page saved it before closing: the same card again).
  function watchCard(page, before) {
    watchAccount('card', page, (fresh, closed) => {
      const changed = cardKey(fresh) !== before;
      if (!changed && !closed) {
        return false;
      }
      const form = methodForm(fresh, watchCard);
      method.replaceWith(form);
      method = form;
      if (changed && fresh.card_saved) {
        announce(t('card.done'));
      }
      return true;
    });
  }
  method = methodForm(account, watchCard);
  main.replaceChildren(heading(t('account.title')),
    // One column on a phone, two on a wide screen.
    h('div', { className: 'account-grid' },
      balance,
      topupForm(account, watchBalance),
      method,
      promoForm(account)),
    h('ul', { className: 'links account-links' },
      h('li', {}, h('a', { href: '#/history' }, t('history.title'))),
      h('li', {}, h('a', { href: '#/subscriptions' },
        t('subscriptions.title'))),
      h('li', {}, h('a', { href: '#/support' }, t('support.title')))));
  return () => Object.values(timers).forEach((id) => window.clearTimeout(id));
}
