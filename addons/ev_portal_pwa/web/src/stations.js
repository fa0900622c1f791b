// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Stations: loading, the client's position, distances, status groups and
// the filters shared by the map and the list.
import { api } from './api.js';
import { t } from './i18n.js';
import { checkboxField, h, selectField } from './ui.js';

// The colour group of a station or connector status (also shown as text).
const GROUPS = {
  available: 'available',
  preparing: 'busy',
  charging: 'busy',
  occupied: 'busy',
  suspended_ev: 'busy',
  suspended_evse: 'busy',
  finishing: 'busy',
  reserved: 'busy',
  busy: 'busy',
  faulted: 'faulted',
  unavailable: 'faulted',
};
const POWERS_KW = [0, 7, 22, 50, 100, 150];
const FILTER_KEY = 'ev.filters';
let position = null;
let positionAt = 0;

export function statusGroup(status) {
  return GROUPS[status] || 'offline';
}

export function statusLabel(status) {
  const key = `status.${status}`;
  const text = t(key);
  return text === key ? t('status.unknown') : text;
}

export function statusBadge(status) {
  return h('span', {
    className: `badge badge--${statusGroup(status)}`,
  }, statusLabel(status));
}

// Great-circle distance in metres.
export function distance(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 6371008.8 * 2 * Math.asin(Math.min(1, Math.sqrt(a)));
}

// The client's position, or null when refused, unknown or too slow.
export function locate(timeout = 6000) {
  if (position && Date.now() - positionAt < 120000) {
    return Promise.resolve(position);
  }
  if (!('geolocation' in navigator)) {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const timer = window.setTimeout(() => resolve(null), timeout + 500);
    navigator.geolocation.getCurrentPosition((found) => {
      window.clearTimeout(timer);
      position = {
        lat: found.coords.latitude, lon: found.coords.longitude,
      };
      positionAt = Date.now();
      resolve(position);
    }, () => {
      window.clearTimeout(timer);
      resolve(null);
    }, { timeout, maximumAge: 300000 });
  });
}

// The stations, nearest first when the position is known. The distance is
// computed here too: an offline answer may have been asked from elsewhere.
export async function loadStations(where) {
  const query = where ? {
    lat: where.lat.toFixed(5), lon: where.lon.toFixed(5),
  } : {};
  const data = await api.get('stations', query);
  const stations = (data && data.stations) || [];
  if (where) {
    for (const station of stations) {
      station.distance_m = distance(
        where.lat, where.lon, station.latitude, station.longitude);
    }
    stations.sort((a, b) => a.distance_m - b.distance_m);
  }
  return stations;
}

export function maxPower(station) {
  return Math.max(0, ...(station.connectors || []).map((c) => c.power_w || 0));
}

export function connectorTypes(stations) {
  const types = new Set();
  for (const station of stations) {
    for (const connector of station.connectors || []) {
      if (connector.type) {
        types.add(connector.type);
      }
    }
  }
  return [...types].sort();
}

export function loadFilters() {
  try {
    const saved = JSON.parse(window.sessionStorage.getItem(FILTER_KEY));
    if (saved && typeof saved === 'object') {
      return { type: '', minPowerKw: 0, availableNow: false, ...saved };
    }
  } catch (error) {
    // Nothing saved.
  }
  return { type: '', minPowerKw: 0, availableNow: false };
}

function saveFilters(filters) {
  try {
    window.sessionStorage.setItem(FILTER_KEY, JSON.stringify(filters));
  } catch (error) {
    // Private mode: the filters last for the page only.
  }
}

// A connector matches when it has the type and the power; "available now"
// asks for a matching connector that is available.
export function applyFilters(stations, filters) {
  return stations.filter((station) => (station.connectors || []).some(
    (connector) => (!filters.type || connector.type === filters.type)
      && (connector.power_w || 0) >= filters.minPowerKw * 1000
      && (!filters.availableNow || connector.status === 'available')));
}

export function filterForm(stations, filters, onChange, formatNumber) {
  const types = connectorTypes(stations);
  if (filters.type && !types.includes(filters.type)) {
    types.push(filters.type);
  }
  const form = h('form', {
    className: 'filters', 'aria-label': t('filter.title'),
  },
  selectField(t('filter.type'), { name: 'type', value: filters.type }, [
    ['', t('filter.any_type')], ...types.map((type) => [type, type])]),
  selectField(t('filter.power'), {
    name: 'minPowerKw', value: filters.minPowerKw,
  }, POWERS_KW.map((kw) => [kw, kw ? t('filter.power_from', {
    value: formatNumber(kw),
  }) : t('filter.any_power')])),
  checkboxField(t('filter.available'), {
    name: 'availableNow', checked: filters.availableNow,
  }));
  form.addEventListener('submit', (event) => event.preventDefault());
  form.addEventListener('change', () => {
    const data = new FormData(form);
    const value = {
      type: data.get('type') || '',
      minPowerKw: Number(data.get('minPowerKw')) || 0,
      availableNow: data.get('availableNow') === 'on',
    };
    saveFilters(value);
    onChange(value);
  });
  return form;
}

// Route links: the device's navigation app, Yandex, Google and OSM.
export function routeLinks(latitude, longitude, name = '') {
  const lat = Number(latitude).toFixed(6).replace(/\.?0+$/, '');
  const lon = Number(longitude).toFixed(6).replace(/\.?0+$/, '');
  const label = encodeURIComponent(name);
  return [
    ['geo', t('route.geo'), `geo:${lat},${lon}?q=${lat},${lon}(${label})`],
    ['yandex', t('route.yandex'),
      `https://yandex.ru/maps/?rtext=~${lat}%2C${lon}&rtt=auto`],
    ['google', t('route.google'),
      'https://www.google.com/maps/dir/?api=1'
      + `&destination=${lat}%2C${lon}`],
    ['osm', t('route.osm'),
      `https://www.openstreetmap.org/directions?to=${lat}%2C${lon}`
      + `#map=16/${lat}/${lon}`],
  ];
}
