// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Log in, register, confirm the e-mail, and reset the password.
import { api } from '../api.js';
import { getLanguage, t } from '../i18n.js';
import { navigate } from '../router.js';
import { login } from '../session.js';
import { announce, field, h, heading, onSubmit } from '../ui.js';

function message(title, text, ...actions) {
  return [heading(title), h('p', { className: 'lead' }, text), ...actions];
}

function link(href, text, className = 'button button--secondary') {
  return h('a', { href, className }, text);
}

function safeNext(next) {
  // Only the app's own routes: no open redirect through ?next=.
  return /^\/[a-z0-9/_-]*$/i.test(next || '') ? next : '/map';
}

export function loginScreen(main, { params }) {
  const form = h('form', { className: 'card form', novalidate: false },
    field(t('field.email'), {
      type: 'email', name: 'email', autocomplete: 'username email',
      required: true, value: params.email || '',
    }),
    field(t('field.password'), {
      type: 'password', name: 'password',
      autocomplete: 'current-password', required: true,
    }),
    h('button', { type: 'submit', className: 'button' }, t('action.login')));
  onSubmit(form, async (data) => {
    await login(data.get('email').trim(), data.get('password'));
    announce(t('auth.logged_in'));
    navigate(safeNext(params.next));
  });
  main.append(heading(t('auth.login_title')), form,
    h('p', { className: 'links' },
      h('a', { href: '#/register' }, t('auth.no_account')),
      h('a', { href: '#/reset' }, t('auth.forgot'))));
}

export function registerScreen(main) {
  const form = h('form', { className: 'card form' },
    field(t('field.name'), {
      name: 'name', autocomplete: 'name', required: true,
    }),
    field(t('field.email'), {
      type: 'email', name: 'email', autocomplete: 'email', required: true,
    }),
    field(t('field.password'), {
      type: 'password', name: 'password', autocomplete: 'new-password',
      required: true, minlength: 8,
    }, t('hint.password')),
    h('button', { type: 'submit', className: 'button' },
      t('action.register')));
  onSubmit(form, async (data) => {
    const email = data.get('email').trim();
    await api.post('auth/register', {
      email,
      password: data.get('password'),
      name: data.get('name').trim(),
      language: getLanguage(),
    });
    main.replaceChildren(...message(t('auth.register_done_title'),
      t('auth.register_done', { email }), link('#/login', t('action.login'))));
    main.querySelector('h1').focus();
    announce(t('auth.register_done', { email }));
  });
  main.append(heading(t('auth.register_title')), form,
    h('p', { className: 'links' },
      h('a', { href: '#/login' }, t('auth.have_account'))));
}

export async function confirmScreen(main, { params }) {
  if (!params.token) {
    main.append(...message(t('auth.confirm_title'), t('auth.no_token'),
      link('#/login', t('action.login'))));
    return;
  }
  const busy = h('p', { className: 'lead', 'aria-busy': 'true' },
    t('state.loading'));
  main.append(heading(t('auth.confirm_title')), busy);
  try {
    await api.post('auth/confirm', { token: params.token });
    busy.replaceWith(h('p', { className: 'lead' }, t('auth.confirmed')),
      link('#/login', t('action.login'), 'button'));
    announce(t('auth.confirmed'));
  } catch (error) {
    busy.replaceWith(h('p', { className: 'lead error-text' }, error.message),
      link('#/register', t('action.register')));
  }
}

export function resetScreen(main, { params }) {
  if (params.token) {
    resetPasswordForm(main, params);
    return;
  }
  const form = h('form', { className: 'card form' },
    field(t('field.email'), {
      type: 'email', name: 'email', autocomplete: 'email', required: true,
    }),
    h('button', { type: 'submit', className: 'button' },
      t('action.send_link')));
  onSubmit(form, async (data) => {
    await api.post('auth/reset', { email: data.get('email').trim() });
    main.replaceChildren(...message(t('auth.reset_title'),
      t('auth.reset_sent'), link('#/login', t('action.login'))));
    main.querySelector('h1').focus();
    announce(t('auth.reset_sent'));
  });
  main.append(heading(t('auth.reset_title')),
    h('p', {}, t('auth.reset_intro')), form);
}

function resetPasswordForm(main, params) {
  const form = h('form', { className: 'card form' },
    field(t('field.email'), {
      type: 'email', name: 'email', autocomplete: 'username email',
      required: true, value: params.email || '',
      readonly: params.email ? true : undefined,
    }),
    field(t('field.new_password'), {
      type: 'password', name: 'password', autocomplete: 'new-password',
      required: true, minlength: 8,
    }, t('hint.password')),
    field(t('field.repeat_password'), {
      type: 'password', name: 'repeat', autocomplete: 'new-password',
      required: true, minlength: 8,
    }),
    h('button', { type: 'submit', className: 'button' },
      t('action.set_password')));
  const repeat = form.elements.namedItem('repeat');
  repeat.addEventListener('input', () => repeat.setCustomValidity(''));
  form.addEventListener('submit', () => {
    const same = repeat.value === form.elements.namedItem('password').value;
    repeat.setCustomValidity(same ? '' : t('error.password_mismatch'));
  }, { capture: true });
  onSubmit(form, async (data) => {
    const email = data.get('email').trim();
    await api.post('auth/password', {
      email, token: params.token, password: data.get('password'),
    });
    main.replaceChildren(...message(t('auth.password_set_title'),
      t('auth.password_set'),
      link(`#/login?email=${encodeURIComponent(email)}`,
        t('action.login'), 'button')));
    main.querySelector('h1').focus();
    announce(t('auth.password_set'));
  });
  main.append(heading(t('auth.password_set_form')), form);
}
