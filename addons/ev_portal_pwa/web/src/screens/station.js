// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// One station: connectors, power, status, partner, opening hours, the
// price when given, and route links to navigation apps.
import { api, ApiError } from '../api.js';
import { formatNumber, getLanguage, t } from '../i18n.js';
import { getProfile } from '../session.js';
import { loadStations, routeLinks, statusBadge } from '../stations.js';
import { formatPower, h, heading } from '../ui.js';

function money(amount, currency) {
  const value = Number(amount);
  if (!Number.isFinite(value)) {
    return String(amount);
  }
  try {
    return new Intl.NumberFormat(getLanguage(), {
      style: 'currency', currency, maximumFractionDigits: 4,
    }).format(value);
  } catch (error) {
    return `${formatNumber(value)} ${currency || ''}`.trim();
  }
}

// A quote of ev_tariff: the tariff's name and its lines.
function quoteBody(quote) {
  const body = [];
  if (quote.tariff_name) {
    body.push(h('p', {}, quote.tariff_name));
  }
  const lines = (quote.lines || []).map((line) => h('li', {},
    h('span', {}, line.label || line.kind || ''), ' ',
    h('strong', {}, money(line.unit_price, quote.currency),
      line.unit_label ? ` / ${line.unit_label}` : '')));
  if (lines.length) {
    body.push(h('ul', { className: 'price-lines' }, lines));
  }
  return body;
}

// The API quotes each connector (the station's connectors may have
// different tariffs): each tariff is shown once.
function priceSection(price, id) {
  let body = [];
  if (price && Array.isArray(price.connectors)) {
    const seen = new Set();
    for (const quote of price.connectors) {
      if (quote && quote.tariff && !seen.has(quote.tariff)) {
        seen.add(quote.tariff);
        body = body.concat(quoteBody(quote));
      }
    }
    if (!body.length) {
      body.push(h('p', {}, t('station.no_price')));
    }
  } else if (price && typeof price === 'object') {
    body = quoteBody(price);
  } else if (price) {
    body.push(h('p', {}, String(price)));
  } else if (getProfile()) {
    body.push(h('p', {}, t('station.no_price')));
  } else {
    body.push(h('p', {},
      h('a', { href: `#/login?next=/station/${id}` },
        t('station.login_price'))));
  }
  return h('section', { className: 'card', 'aria-labelledby': 'price-title' },
    h('h2', { id: 'price-title' }, t('station.price')), ...body);
}

async function fetchStation(id) {
  try {
    return await api.get(`stations/${id}`);
  } catch (error) {
    // Offline and never opened: the last list may still hold it.
    if (error instanceof ApiError && error.status === 0) {
      const stations = await loadStations(null).catch(() => []);
      const found = stations.find((station) => String(station.id) === id);
      if (found) {
        return found;
      }
    }
    throw error;
  }
}

export async function stationScreen(main, route, isCurrent) {
  const id = route.segments[1] || '';
  main.append(heading(t('station.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const data = await fetchStation(encodeURIComponent(id));
  if (!isCurrent()) {
    return;
  }
  const station = data && data.station ? data.station : data;
  document.title = `${station.name} — ${t('app.name')}`;
  const connectors = h('table', { className: 'connectors' },
    h('caption', {}, t('station.connectors')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('station.number')),
      h('th', { scope: 'col' }, t('station.type')),
      h('th', { scope: 'col' }, t('station.power')),
      h('th', { scope: 'col' }, t('station.status')))),
    h('tbody', {}, (station.connectors || []).map((connector) => h('tr', {},
      h('td', {}, String(connector.number ?? '')),
      h('td', {}, connector.type || ''),
      h('td', {}, formatPower(connector.power_w || 0, formatNumber)),
      h('td', {}, statusBadge(connector.status))))));
  const details = h('dl', { className: 'details' },
    h('dt', {}, t('station.status')), h('dd', {}, statusBadge(station.status)),
    h('dt', {}, t('station.address')), h('dd', {}, station.address || '—'),
    h('dt', {}, t('station.partner')), h('dd', {}, station.partner || '—'),
    h('dt', {}, t('station.hours')),
    h('dd', {}, station.opening_hours || t('station.hours_unknown')),
    h('dt', {}, t('station.coordinates')),
    h('dd', {}, `${station.latitude}, ${station.longitude}`));
  const routes = h('section', {
    className: 'card', 'aria-labelledby': 'route-title',
  },
  h('h2', { id: 'route-title' }, t('station.route')),
  h('ul', { className: 'route-links' }, routeLinks(
    station.latitude, station.longitude, station.name,
  ).map(([kind, label, href]) => h('li', {}, h('a', {
    href, className: 'button button--secondary', dataset: { route: kind },
    target: kind === 'geo' ? undefined : '_blank',
    rel: kind === 'geo' ? undefined : 'noopener noreferrer',
  }, label)))));
  main.replaceChildren(
    h('p', { className: 'back' }, h('a', { href: '#/list' },
      t('station.back'))),
    heading(station.name),
    h('section', { className: 'card' }, details),
    h('section', { className: 'card' }, connectors),
    h('p', { className: 'charge-action' }, h('a', {
      href: `#/station/${station.id}/charge`, id: 'charge-link',
      className: 'button',
    }, t('station.charge'))),
    priceSection(station.price, station.id),
    routes);
}
