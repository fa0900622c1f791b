// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// One station: connectors, power, status, partner, opening hours, the
// price when given, its usage (busy hours, last 30 days) and route links to
// navigation apps.
import { api, ApiError } from '../api.js';
import { barChart } from '../chart.js';
import { formatNumber, getLanguage, t } from '../i18n.js';
import { getProfile } from '../session.js';
import { loadStations, routeLinks, statusBadge } from '../stations.js';
import { formatPower, h, heading, selectField } from '../ui.js';

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

// Usage: the busy hours of a weekday ("popular times") and the sessions or
// energy of the last 30 days, fetched once the station is shown.
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

// The weekday (0 is Monday) and hour now at the station.
export function stationClock(timeZone, date = new Date()) {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23',
    }).formatToParts(date);
    const part = (type) => parts.find((p) => p.type === type).value;
    return {
      weekday: WEEKDAYS.indexOf(part('weekday')),
      hour: Number(part('hour')) % 24,
    };
  } catch (error) {
    return { weekday: (date.getDay() + 6) % 7, hour: date.getHours() };
  }
}

function weekdayName(index) {
  // 1 January 2024 was a Monday.
  const name = new Intl.DateTimeFormat(getLanguage(), {
    weekday: 'long', timeZone: 'UTC',
  }).format(new Date(Date.UTC(2024, 0, 1 + index)));
  return name.charAt(0).toLocaleUpperCase(getLanguage()) + name.slice(1);
}

function dayName(date, options = { day: 'numeric', month: 'short' }) {
  return new Intl.DateTimeFormat(getLanguage(), { ...options, timeZone: 'UTC' })
    .format(new Date(`${date}T00:00:00Z`));
}

function percent(share) {
  return formatNumber(share, { style: 'percent', maximumFractionDigits: 0 });
}

function kwh(wh) {
  return t('usage.kwh', {
    value: formatNumber(wh / 1000, { maximumFractionDigits: 1 }),
  });
}

// The top of a scale: 1, 2 or 5 times a power of ten.
function niceTop(value) {
  if (!(value > 0)) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((top) => top >= value);
}

function hourSpan(hour) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(hour)}:00–${pad((hour + 1) % 24)}:00`;
}

function busyChart(usage, weekday, clock) {
  const hours = usage.busy[weekday] || [];
  // One scale for the whole week, so that the days compare.
  const top = Math.min(1, niceTop(Math.max(0, ...usage.busy.flat())));
  const day = weekdayName(weekday);
  const peak = hours.reduce((best, share, hour) => (
    share > hours[best] ? hour : best), 0);
  const summary = hours[peak] > 0
    ? t('usage.busy_summary', {
      day, weeks: usage.weeks, hour: hourSpan(peak),
      share: percent(hours[peak]),
    })
    : t('usage.busy_none', { day, weeks: usage.weeks });
  const now = weekday === clock.weekday ? clock.hour : -1;
  return barChart({
    className: 'chart--busy',
    summary,
    max: top,
    yLabels: [0, top / 2, top].map((value) => [value, percent(value)]),
    bars: hours.map((share, hour) => ({
      value: share,
      label: hour % 6 === 0 ? String(hour) : '',
      highlight: hour === now,
      title: t('usage.bar_busy', {
        hour: hourSpan(hour), share: percent(share),
      }) + (hour === now ? ` (${t('usage.now')})` : ''),
    })),
    table: {
      caption: summary,
      headers: [t('usage.hour'), t('usage.in_use')],
      rows: hours.map((share, hour) => [
        hourSpan(hour) + (hour === now ? ` (${t('usage.now')})` : ''),
        percent(share)]),
    },
  });
}

function dailyChart(usage, metric) {
  const days = usage.daily || [];
  const values = days.map((day) => (metric === 'energy'
    ? day.energy_wh / 1000 : day.sessions));
  const show = (value) => (metric === 'energy'
    ? kwh(value * 1000) : formatNumber(value));
  const top = niceTop(Math.max(0, ...values));
  const peak = values.reduce((best, value, index) => (
    value > values[best] ? index : best), 0);
  const name = t(`usage.${metric}`);
  const total = metric === 'energy'
    ? kwh(usage.energy_wh_30d) : formatNumber(usage.sessions_30d);
  const summary = values[peak] > 0
    ? t('usage.days_summary', {
      metric: name, total, date: dayName(days[peak].date),
      value: show(values[peak]),
    })
    : t('usage.days_none', { metric: name });
  return barChart({
    className: 'chart--daily',
    summary,
    max: top,
    yLabels: [[0, formatNumber(0)], [top, formatNumber(top)]],
    bars: days.map((day, index) => ({
      value: values[index],
      // Every 7th day, today last.
      label: (days.length - 1 - index) % 7 === 0 ? dayName(day.date) : '',
      title: t('usage.bar_day', {
        date: dayName(day.date), metric: name, value: show(values[index]),
      }),
    })),
    table: {
      caption: summary,
      headers: [t('usage.date'), t('usage.sessions'), t('usage.energy')],
      rows: days.map((day) => [
        dayName(day.date, { day: 'numeric', month: 'long' }),
        formatNumber(day.sessions), kwh(day.energy_wh)]),
    },
  });
}

export function usageBody(usage, clock) {
  let weekday = clock.weekday >= 0 ? clock.weekday : 0;
  let metric = 'sessions';
  const busy = h('div', { className: 'usage__chart' },
    busyChart(usage, weekday, clock));
  const daily = h('div', { className: 'usage__chart' },
    dailyChart(usage, metric));
  const daySelect = selectField(t('usage.day'), {
    id: 'usage-day', value: weekday,
  }, WEEKDAYS.map((_, index) => [index, weekdayName(index)
    + (index === clock.weekday ? ` (${t('usage.today')})` : '')]));
  daySelect.querySelector('select').addEventListener('change', (event) => {
    weekday = Number(event.target.value);
    busy.replaceChildren(busyChart(usage, weekday, clock));
  });
  const metricSelect = selectField(t('usage.metric'), {
    id: 'usage-metric', value: metric,
  }, [['sessions', t('usage.sessions')], ['energy', t('usage.energy')]]);
  metricSelect.querySelector('select').addEventListener('change', (event) => {
    metric = event.target.value;
    daily.replaceChildren(dailyChart(usage, metric));
  });
  return [
    h('h3', {}, t('usage.busy_title')),
    h('p', { className: 'hint' }, t('usage.busy_hint', {
      weeks: usage.weeks, zone: usage.timezone,
    })),
    daySelect,
    busy,
    h('h3', {}, t('usage.days_title')),
    h('p', {}, t('usage.totals', {
      sessions: formatNumber(usage.sessions_30d || 0),
      energy: kwh(usage.energy_wh_30d || 0),
    })),
    metricSelect,
    daily,
  ];
}

async function loadUsage(section, id, isCurrent) {
  const title = section.querySelector('h2');
  let body;
  try {
    const usage = await api.get(`stations/${id}/usage`);
    if (!usage || !Array.isArray(usage.busy) || usage.busy.length !== 7) {
      throw new Error('usage');
    }
    body = usageBody(usage, stationClock(usage.timezone));
  } catch (error) {
    // Offline or refused: the station is there, its figures are not.
    body = [h('p', { className: 'hint usage__unavailable' },
      t('usage.unavailable'))];
  }
  if (!isCurrent()) {
    return;
  }
  section.removeAttribute('aria-busy');
  section.replaceChildren(title, ...body);
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
  const usage = h('section', {
    className: 'card usage', id: 'usage', 'aria-labelledby': 'usage-title',
    'aria-busy': 'true',
  },
  h('h2', { id: 'usage-title' }, t('usage.title')),
  h('p', { className: 'hint' }, t('state.loading')));
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
    usage,
    routes);
  loadUsage(usage, station.id, isCurrent);
}
