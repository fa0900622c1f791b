// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// The client's profile: name, phone, language, theme, sounds, the
// device's notifications; log out.
import { t } from '../i18n.js';
import { navigate } from '../router.js';
import { getProfile, loadProfile, logout, saveProfile } from '../session.js';
import {
  announce, checkboxField, field, h, heading, onSubmit, selectField,
  showError,
} from '../ui.js';

// The switch of the device's notifications: turning it on asks the
// browser's permission, and stays off when refused.
function systemField(profile) {
  const supported = 'Notification' in window && 'serviceWorker' in navigator;
  const denied = supported && Notification.permission === 'denied';
  const wrapper = checkboxField(t('notify.system_field'), {
    name: 'notify_system', id: 'notify-system',
    checked: Boolean(profile.notify_system) && !denied && supported,
    disabled: !supported, 'aria-describedby': 'notify-system-hint',
  });
  const hint = h('p', { className: 'hint', id: 'notify-system-hint' });
  const explain = (state) => {
    hint.textContent = t(state === 'unsupported' ? 'notify.system_unsupported'
      : state === 'denied' ? 'notify.system_denied' : 'notify.system_hint');
  };
  explain(supported ? Notification.permission : 'unsupported');
  const input = wrapper.querySelector('input');
  input.addEventListener('change', async () => {
    if (!input.checked || Notification.permission === 'granted') {
      return;
    }
    let permission = Notification.permission;
    try {
      permission = await Notification.requestPermission();
    } catch (error) {
      // Old Safari: the callback form only.
    }
    if (permission !== 'granted') {
      input.checked = false;
    }
    explain(permission);
  });
  wrapper.append(hint);
  return wrapper;
}

export async function profileScreen(main, route, isCurrent) {
  main.append(heading(t('profile.title')),
    h('p', { 'aria-busy': 'true' }, t('state.loading')));
  let profile;
  try {
    profile = await loadProfile();
  } catch (error) {
    profile = getProfile();
    if (!profile) {
      throw error;
    }
  }
  if (!isCurrent()) {
    return;
  }
  if (!profile) {
    navigate('/login?next=/profile');
    return;
  }
  const form = h('form', { className: 'card form' },
    field(t('field.email'), {
      type: 'email', name: 'email', value: profile.email || '',
      readonly: true, autocomplete: 'email',
    }),
    field(t('field.name'), {
      name: 'name', value: profile.name || '', autocomplete: 'name',
      required: true,
    }),
    field(t('field.phone'), {
      type: 'tel', name: 'phone', value: profile.phone || '',
      autocomplete: 'tel',
    }),
    selectField(t('field.language'), {
      name: 'language', value: profile.language || 'ru',
    }, [['ru', 'Русский'], ['en', 'English']]),
    selectField(t('field.theme'), {
      name: 'theme', value: profile.theme || 'light',
    }, [['light', t('theme.light')], ['dark', t('theme.dark')]]),
    checkboxField(t('field.sounds'), {
      name: 'sounds', checked: Boolean(profile.sounds),
    }),
    systemField(profile),
    h('button', { type: 'submit', className: 'button' }, t('action.save')));
  onSubmit(form, async (data) => {
    await saveProfile({
      name: data.get('name').trim(),
      phone: data.get('phone').trim(),
      language: data.get('language'),
      theme: data.get('theme'),
      sounds: data.get('sounds') === 'on',
      notify_system: data.get('notify_system') === 'on',
    });
    announce(t('profile.saved'));
  });
  const out = h('button', {
    type: 'button', className: 'button button--secondary',
    onclick: async () => {
      try {
        await logout();
        announce(t('auth.logged_out'));
        navigate('/login');
      } catch (error) {
        showError(error);
      }
    },
  }, t('action.logout'));
  main.replaceChildren(heading(t('profile.title')), form,
    h('div', { className: 'actions' }, out));
}
