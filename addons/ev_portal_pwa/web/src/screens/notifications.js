// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client's notifications of the last 30 days, newest first; opening
// the list marks them as read.
import { api } from '../api.js';
import { getLanguage, t } from '../i18n.js';
import { markSeen, safeUrl, setUnread } from '../notifications.js';
import { getProfile } from '../session.js';
import { h, heading } from '../ui.js';

function formatTime(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  return new Intl.DateTimeFormat(getLanguage(), {
    dateStyle: 'medium', timeStyle: 'short',
  }).format(date);
}

function entry(item) {
  return h('li', {
    className: item.unread
      ? 'notification notification--unread' : 'notification',
    dataset: { kind: item.kind },
  },
  h('a', { href: safeUrl(item.url), className: 'notification__title' },
    item.title),
  item.unread
    ? h('span', { className: 'notification__new' }, t('notify.new')) : null,
  h('p', { className: 'notification__body' }, item.body),
  h('time', { className: 'notification__time', datetime: item.at },
    formatTime(item.at)));
}

export async function notificationsScreen(main, route, isCurrent) {
  main.append(heading(t('notify.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const data = await api.get('notifications');
  if (!isCurrent()) {
    return;
  }
  const items = (data && data.notifications) || [];
  setUnread(data && data.unread);
  const profile = getProfile();
  main.replaceChildren(heading(t('notify.title')),
    items.length
      ? h('ul', { id: 'notification-list', className: 'notification-list' },
        items.map(entry))
      : h('p', { id: 'notification-empty', className: 'card' },
        t('notify.empty')),
    profile && !profile.notify_system
      ? h('p', { className: 'hint' },
        h('a', { href: '#/profile' }, t('notify.enable')))
      : null);
  // The items stay marked as new on screen; the badge is cleared.
  markSeen(items).catch(() => {
    // Offline: they are read next time.
  });
}
