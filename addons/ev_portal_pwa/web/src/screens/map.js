// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The map: Leaflet with the operator's tile URL (GET config), clustered
// markers coloured by station status, and the same filters as the list.
import L from 'leaflet';
import 'leaflet.markercluster';
import { api } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import {
  applyFilters, filterForm, loadFilters, loadStations, locate, maxPower,
  statusGroup, statusLabel,
} from '../stations.js';
import { formatPower, h, heading } from '../ui.js';

const DEFAULT_CENTER = [55.7558, 37.6173];

async function loadConfig() {
  try {
    return (await api.get('config')) || {};
  } catch (error) {
    return {};
  }
}

function marker(station) {
  const group = statusGroup(station.status);
  const label = `${station.name}: ${statusLabel(station.status)}`;
  const icon = L.divIcon({
    className: `pin pin--${group}`,
    html: h('span', { className: 'visually-hidden' }, label),
    iconSize: [28, 28],
    iconAnchor: [14, 14],
    popupAnchor: [0, -14],
  });
  const result = L.marker([station.latitude, station.longitude], {
    icon, title: label, keyboard: true, riseOnHover: true,
  });
  result.bindPopup(() => h('div', { className: 'popup' },
    h('strong', {}, station.name),
    h('p', {}, statusLabel(station.status), ' · ',
      formatPower(maxPower(station), formatNumber)),
    h('a', { href: `#/station/${station.id}` }, t('map.details'))));
  return result;
}

function unavailable(main, text) {
  main.append(h('div', { className: 'card' },
    h('p', {}, text),
    h('a', { href: '#/list', className: 'button' }, t('map.open_list'))));
}

export async function mapScreen(main, route, isCurrent) {
  main.classList.add('main--map');
  main.append(heading(t('map.title')));
  const config = await loadConfig();
  if (!isCurrent()) {
    return undefined;
  }
  const tileUrl = config.tile_url;
  if (!tileUrl || !navigator.onLine) {
    // Without tiles the map is useless; the list is not.
    unavailable(main, t(tileUrl ? 'map.offline' : 'map.no_tiles'));
    return () => main.classList.remove('main--map');
  }
  const where = await locate(4000);
  const stations = await loadStations(where);
  if (!isCurrent()) {
    return undefined;
  }
  const container = h('div', {
    className: 'map', id: 'map', role: 'region',
    'aria-label': t('map.title'),
  });
  const legend = h('ul', {
    className: 'legend', 'aria-label': t('map.legend'),
  },
    ['available', 'busy', 'faulted', 'offline'].map((group) => h('li', {},
      h('span', { className: `pin pin--${group}`, 'aria-hidden': 'true' }),
      t(`legend.${group}`))));
  const filters = loadFilters();
  const clusters = L.markerClusterGroup({
    showCoverageOnHover: false, maxClusterRadius: 50,
  });
  const show = (value) => {
    clusters.clearLayers();
    clusters.addLayers(applyFilters(stations, value).map(marker));
  };
  main.append(filterForm(stations, filters, show, formatNumber), container,
    legend);
  const map = L.map(container, {
    center: where ? [where.lat, where.lon]
      : config.center || DEFAULT_CENTER,
    zoom: where ? 13 : config.zoom || 10,
    keyboard: true,
  });
  L.tileLayer(tileUrl, {
    attribution: config.tile_attribution || '',
    maxZoom: config.max_zoom || 19,
  }).addTo(map);
  map.addLayer(clusters);
  show(filters);
  if (!where && !config.center && stations.length) {
    map.fitBounds(L.latLngBounds(stations.map(
      (station) => [station.latitude, station.longitude])), {
      padding: [24, 24], maxZoom: 14,
    });
  }
  return () => {
    map.remove();
    main.classList.remove('main--map');
  };
}
