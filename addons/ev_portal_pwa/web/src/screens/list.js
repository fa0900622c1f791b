// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The stations as a list, nearest first when the position is allowed. It
// needs no map tiles, so it is the view that works offline.
import { formatNumber, t } from '../i18n.js';
import {
  applyFilters, filterForm, loadFilters, loadStations, locate, maxPower,
  statusBadge,
} from '../stations.js';
import { formatDistance, formatPower, h, heading } from '../ui.js';

function card(station) {
  const types = [...new Set((station.connectors || [])
    .map((connector) => connector.type).filter(Boolean))];
  const available = (station.connectors || [])
    .filter((connector) => connector.status === 'available').length;
  return h('li', { className: 'station-card' },
    h('h2', { className: 'station-card__name' },
      h('a', { href: `#/station/${station.id}` }, station.name)),
    h('p', { className: 'station-card__address' }, station.address || ''),
    h('p', { className: 'station-card__meta' },
      statusBadge(station.status),
      h('span', {}, t('list.available_of', {
        available, total: (station.connectors || []).length,
      })),
      h('span', {}, t('list.up_to', {
        power: formatPower(maxPower(station), formatNumber),
      })),
      types.length ? h('span', {}, types.join(', ')) : null,
      Number.isFinite(station.distance_m) ? h('span', {
        className: 'distance',
      }, formatDistance(station.distance_m, formatNumber)) : null));
}

export async function listScreen(main, route, isCurrent) {
  const busy = h('p', { 'aria-busy': 'true' }, t('state.locating'));
  main.append(heading(t('list.title')), busy);
  const where = await locate();
  const stations = await loadStations(where);
  if (!isCurrent()) {
    return;
  }
  const results = h('ul', {
    className: 'station-list', id: 'station-list',
    'aria-label': t('list.title'),
  });
  const count = h('p', { className: 'count', 'aria-live': 'polite' });
  const show = (filters) => {
    const shown = applyFilters(stations, filters);
    results.replaceChildren(...shown.map(card));
    count.textContent = t('list.count', { count: shown.length });
  };
  const filters = loadFilters();
  const parts = [filterForm(stations, filters, show, formatNumber)];
  if (!where) {
    parts.push(h('p', { className: 'hint' }, t('list.no_position')));
  }
  busy.replaceWith(...parts, count, results);
  show(filters);
}
