// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Small bar charts in SVG, without a library. The picture is an image with
// a summary for screen readers (role="img", aria-label), each bar tells
// its value on hover (<title>), and a visually hidden table holds every
// figure. Colours come from the theme's CSS variables (app.css).
import { h } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const HEIGHT = 150;
const LEFT = 34;
const RIGHT = 4;
const TOP = 8;
const BOTTOM = 20;

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) {
      element.setAttribute(key, String(value));
    }
  }
  for (const child of children) {
    if (child instanceof Node) {
      element.appendChild(child);
    } else if (child !== undefined && child !== null) {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
  return element;
}

// bars: [{ value, label (under the bar, may be empty), title (its value in
// words), highlight }]; max: the top of the scale (at least the largest
// value); yLabels: [[value, text]] of the grid lines; summary: the
// aria-label; table: { caption, headers, rows } of the hidden table.
export function barChart({
  bars, max, yLabels = [], summary, table, className = '',
}) {
  const top = Math.max(max || 0, ...bars.map((bar) => bar.value || 0)) || 1;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const step = plotWidth / Math.max(bars.length, 1);
  const gap = Math.min(2, step * 0.2);
  const y = (value) => TOP + plotHeight - (value / top) * plotHeight;
  const grid = yLabels.map(([value, text]) => svg('g', {
    class: 'chart__grid',
  },
  svg('line', {
    x1: LEFT, x2: WIDTH - RIGHT, y1: y(value), y2: y(value),
  }),
  svg('text', {
    x: LEFT - 4, y: y(value), 'text-anchor': 'end',
    'dominant-baseline': 'middle',
  }, text)));
  const shapes = bars.map((bar, index) => {
    const value = Math.max(0, bar.value || 0);
    const x = LEFT + index * step + gap / 2;
    // A sliver for zero, so that an empty hour still shows as one.
    const height = Math.max((value / top) * plotHeight, value ? 1 : 0.5);
    const className = bar.highlight
      ? 'chart__bar chart__bar--highlight' : 'chart__bar';
    return svg('g', {},
      svg('rect', {
        class: className, x: x.toFixed(2), width: (step - gap).toFixed(2),
        y: (TOP + plotHeight - height).toFixed(2), height: height.toFixed(2),
      }, svg('title', {}, bar.title)),
      bar.label ? svg('text', {
        class: 'chart__label', x: (x + (step - gap) / 2).toFixed(2),
        y: HEIGHT - 6, 'text-anchor': 'middle',
      }, bar.label) : null);
  });
  const picture = svg('svg', {
    class: 'chart__svg', viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img', 'aria-label': summary, focusable: 'false',
  },
  ...grid,
  svg('line', {
    class: 'chart__axis', x1: LEFT, x2: WIDTH - RIGHT,
    y1: TOP + plotHeight, y2: TOP + plotHeight,
  }),
  ...shapes);
  const hidden = h('table', { className: 'visually-hidden' },
    h('caption', {}, table.caption),
    h('thead', {}, h('tr', {}, table.headers.map(
      (header) => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, table.rows.map((row) => h('tr', {},
      row.map((cell, index) => h(index ? 'td' : 'th',
        index ? {} : { scope: 'row' }, cell))))));
  return h('figure', { className: `chart ${className}`.trim() },
    picture, hidden);
}
