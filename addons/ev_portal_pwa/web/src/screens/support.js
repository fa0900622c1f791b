// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Support: the client's requests (#/support), a new one, about a session
// of the history if they like (#/support/new?session=<id>), and the
// conversation of one with a reply box (#/support/<id>). Staff answer in
// the back office; their replies show here (read again every 30 s while
// the conversation is open), in the notifications and by e-mail.
import { api } from '../api.js';
import { getLanguage, t } from '../i18n.js';
import { navigate } from '../router.js';
import {
  announce, field, h, heading, onSubmit, selectField,
} from '../ui.js';

const POLL_MS = 30000;
const MAX_TEXT = 4000;

function when(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  return new Intl.DateTimeFormat(getLanguage(), {
    dateStyle: 'medium', timeStyle: 'short',
  }).format(date);
}

function time(value) {
  return h('time', { datetime: String(value || '') }, when(value));
}

function stateBadge(state) {
  return h('span', {
    className: `support-state support-state--${state}`,
  }, t(`support.state_${state}`));
}

function requestItem(request) {
  return h('li', {
    className: request.unread
      ? 'support-item support-item--unread' : 'support-item',
  },
  h('a', { href: `#/support/${request.id}`, className: 'support-item__title' },
    request.subject),
  h('p', { className: 'support-item__meta' },
    stateBadge(request.state),
    request.unread
      ? h('span', { className: 'support-item__new' }, t('support.unread'))
      : null,
    h('span', {}, t('support.updated', { date: when(request.updated_at) }))));
}

async function listScreen(main, isCurrent) {
  main.append(heading(t('support.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  const data = await api.get('support');
  if (!isCurrent()) {
    return;
  }
  const requests = (data && data.requests) || [];
  main.replaceChildren(heading(t('support.title')),
    h('p', {}, h('a', {
      href: '#/support/new', className: 'button', id: 'support-new',
    }, t('support.new'))),
    requests.length
      ? h('ul', { className: 'support-list', id: 'support-list' },
        requests.map(requestItem))
      : h('p', { className: 'card', id: 'support-empty' },
        t('support.empty')));
}

function sessionLabel(session) {
  const station = (session.station || {}).name || '';
  const date = session.started_at ? when(session.started_at) : '';
  return t('support.session_option', {
    number: session.number || session.id, station, date,
  });
}

function textField(label, id) {
  return field(label, {
    tag: 'textarea', name: 'text', id, required: true, rows: '5',
    maxlength: String(MAX_TEXT),
  });
}

async function newScreen(main, route, isCurrent) {
  main.append(heading(t('support.new_title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  // The sessions to choose from; without the history, none.
  let sessions = [];
  try {
    const history = await api.get('history', { limit: 50 });
    sessions = (history && history.sessions) || [];
  } catch (error) {
    if (error && error.status === 401) {
      throw error;
    }
  }
  if (!isCurrent()) {
    return;
  }
  const chosen = /^\d+$/.test(route.params.session || '')
    ? route.params.session : '';
  const options = [['', t('support.session_none')],
    ...sessions.map((session) => [String(session.id), sessionLabel(session)])];
  if (chosen && !sessions.some((session) => String(session.id) === chosen)) {
    options.push([chosen, t('support.about_session', { number: chosen })]);
  }
  const form = h('form', { className: 'card form', id: 'support-form' },
    field(t('support.subject'), {
      name: 'subject', id: 'support-subject', maxlength: '200',
      autocomplete: 'off',
    }, t('support.subject_hint')),
    textField(t('support.text'), 'support-text'),
    selectField(t('support.session'), {
      name: 'session', id: 'support-session', value: chosen,
    }, options),
    h('button', { type: 'submit', className: 'button' }, t('support.send')));
  onSubmit(form, async (data) => {
    const session = data.get('session');
    const created = await api.post('support', {
      subject: data.get('subject') || null,
      text: data.get('text'),
      session: session ? Number(session) : null,
    });
    announce(t('support.sent'));
    navigate(`/support/${created.id}`);
  });
  main.replaceChildren(heading(t('support.new_title')), form,
    h('p', {}, h('a', { href: '#/support' }, t('support.back'))));
}

function messageItem(message) {
  const mine = message.author === 'client';
  return h('li', {
    className: `support-msg support-msg--${mine ? 'client' : 'support'}`,
    dataset: { id: String(message.id) },
  },
  h('p', { className: 'support-msg__head' },
    h('strong', {}, mine ? t('support.you')
      : t('support.staff', { name: message.name || '' })), ' ',
    time(message.at)),
  h('p', { className: 'support-msg__text' }, message.text));
}

async function threadScreen(main, id, isCurrent) {
  main.append(heading(t('support.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  let request = await api.get(`support/${id}`);
  if (!isCurrent()) {
    return undefined;
  }
  const list = h('ol', { className: 'support-thread', id: 'support-thread' });
  const state = h('p', { className: 'support-thread__state' });
  const drawn = () => list.querySelectorAll('li').length;
  const draw = () => {
    list.replaceChildren(...request.messages.map(messageItem));
    // replaceChildren() would write a null as the text "null".
    state.replaceChildren(...[stateBadge(request.state),
      request.state === 'resolved'
        ? h('span', { className: 'hint' }, ' ', t('support.resolved_hint'))
        : null].filter(Boolean));
  };
  draw();
  const form = h('form', { className: 'card form', id: 'support-reply' },
    textField(t('support.reply'), 'support-reply-text'),
    h('button', { type: 'submit', className: 'button' }, t('support.send')));
  onSubmit(form, async (data) => {
    const message = await api.post(`support/${id}/messages`, {
      text: data.get('text'),
    });
    request.messages.push(message);
    if (request.state === 'resolved') {
      request.state = 'open';
    }
    draw();
    form.reset();
    announce(t('support.sent'));
  });
  main.replaceChildren(...[heading(request.subject), state,
    request.session ? h('p', { className: 'hint' },
      t('support.about_session', { number: request.session })) : null,
    list, form,
    h('p', {}, h('a', { href: '#/support' }, t('support.back')))]
    .filter(Boolean));
  // Staff's replies arrive while the conversation is open.
  const timer = window.setInterval(async () => {
    if (document.visibilityState === 'hidden') {
      return;
    }
    try {
      const fresh = await api.get(`support/${id}`);
      if (!isCurrent()) {
        return;
      }
      const added = fresh.messages.length - drawn();
      request = fresh;
      draw();
      if (added > 0) {
        announce(t('support.new_reply'));
      }
    } catch (error) {
      // Offline for a moment: the next round tries again.
    }
  }, POLL_MS);
  return () => window.clearInterval(timer);
}

export async function supportScreen(main, route, isCurrent) {
  const second = route.segments[1];
  if (second === 'new') {
    return newScreen(main, route, isCurrent);
  }
  if (second && /^\d+$/.test(second)) {
    return threadScreen(main, Number(second), isCurrent);
  }
  return listScreen(main, isCurrent);
}
