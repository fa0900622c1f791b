# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import base64
import binascii
import datetime as dt
import logging
import math
import os
import re
from secrets import compare_digest

from sql import Literal
from sql.operators import Equal

import trytond.config as config
from trytond.exceptions import RateLimitException
from trytond.i18n import gettext
from trytond.model import Exclude, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.tools import timezone as tz
from trytond.tools.email_ import EmailNotValidError, validate_email
from trytond.transaction import Transaction, without_check_access

from .exceptions import (
    PasswordPolicyError, ProfileError, ProfileValidationError)
from .partner import EMAIL_RE

logger = logging.getLogger(__name__)

GENDERS = [
    (None, ""),
    ('female', "Female"),
    ('male', "Male"),
    ]
THEMES = [
    ('light', "Light"),
    ('dark', "Dark"),
    ]
TIMEZONES = [(None, "")] + [(z, z) for z in sorted(tz.available_timezones())]
PHONE_KINDS = [
    ('mobile', "Mobile"),
    ('work', "Work"),
    ('home', "Home"),
    ]
# Digits, spaces, dashes, dots and parentheses, with an optional leading
# "+"; E.164 numbers have at most 15 digits.
PHONE_RE = re.compile(r'^\+?[0-9 ()\-.]+$')
PHONE_DIGITS = (5, 15)
BANNER_MAX_SIZE = 2 * 1024 * 1024
# Raster formats only: an SVG banner could carry scripts.
BANNER_MAGIC = [
    b'\x89PNG\r\n\x1a\n', b'\xff\xd8\xff', b'GIF87a', b'GIF89a']
# The value Tryton's password field shows for "unchanged".
PASSWORD_PLACEHOLDER = 'x' * 10


def compose_name(first_name, middle_name, last_name):
    "Return the full name made of the given parts, or None"
    parts = [p.strip() for p in (first_name, middle_name, last_name)
        if p and p.strip()]
    return ' '.join(parts) or None


def is_banner_image(data):
    "Tell whether data starts like a PNG, JPEG, GIF or WebP image"
    data = bytes(data[:12])
    return (any(data.startswith(m) for m in BANNER_MAGIC)
        or (data[:4] == b'RIFF' and data[8:12] == b'WEBP'))


_forbidden = {}


def forbidden_passwords(path):
    "Return the lower-cased text of the forbidden passwords file at path"
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _forbidden:
        with open(path, encoding='utf-8', errors='replace') as fp:
            text = fp.read().lower()
        _forbidden.clear()
        _forbidden[key] = text
    return _forbidden[key]


def check_password_policy(password, users=()):
    """Raise PasswordPolicyError unless password follows the [password]
    policy of the configuration

    It applies Tryton's rules (length, forbidden file, not the name, login
    or e-mail) with translated messages, and adds the "entropy" option:
    the password must hold at least entropy x length different characters.
    """
    length = config.getint('password', 'length', default=0) or 0
    if len(password) < max(length, 1):
        raise PasswordPolicyError(gettext(
                'ev_partner.msg_password_length', length=max(length, 1)))
    entropy = float(config.get('password', 'entropy', default=None) or 0)
    if entropy > 0:
        needed = math.ceil(
            min(entropy, 1) * min(len(password), length or len(password)))
        if len(set(password)) < needed:
            raise PasswordPolicyError(gettext(
                    'ev_partner.msg_password_entropy', count=needed))
    path = config.get('password', 'forbidden', default=None)
    if path and password.lower() in forbidden_passwords(path):
        raise PasswordPolicyError(gettext('ev_partner.msg_password_forbidden'))
    for user in users:
        for name in ['name', 'login', 'email']:
            value = getattr(user, name, None)
            if value and password.lower() == value.lower():
                raise PasswordPolicyError(gettext(
                        'ev_partner.msg_password_personal'))


class EvProfileMixin:
    """The personal profile of a platform user

    Applied to res.user here, and meant for web.user in the client-app
    module: the class defines the fields, their checks and the conversion
    to and from the JSON-able dict of the profile API.
    The concrete class may add the One2Many fields "emails" and "phones"
    (to models using EvEmailMixin and EvPhoneMixin); the dict then holds
    them too.
    """
    __slots__ = ()
    # The field that holds the full name, composed from the parts.
    _ev_name_field = 'name'

    first_name = fields.Char("First Name", strip=True)
    middle_name = fields.Char(
        "Middle Name", strip=True, help="The patronymic.")
    last_name = fields.Char("Last Name", strip=True)
    gender = fields.Selection(GENDERS, "Gender")
    birth_date = fields.Date("Birth Date")
    ev_timezone = fields.Selection(
        TIMEZONES, "Time Zone", translate=False,
        help="The time zone in which dates and times are shown to the user.")
    location = fields.Char(
        "Location", strip=True, help="Where the user is based, e.g. a city.")
    interests = fields.Text("Interests")
    biography = fields.Text("Biography")
    banner = fields.Binary(
        "Banner",
        help="A wide image shown at the top of the profile: PNG, JPEG, GIF "
        "or WebP, at most 2 MB.")
    mute_sounds = fields.Boolean(
        "Mute Sounds", help="Play no sound on notifications.")
    theme = fields.Selection(THEMES, "Theme", required=True)

    @classmethod
    def default_mute_sounds(cls):
        return False

    @classmethod
    def default_theme(cls):
        return 'light'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        name_field = cls._ev_name_field
        if mode == 'create' and name_field and not values.get(name_field):
            name = compose_name(values.get('first_name'),
                values.get('middle_name'), values.get('last_name'))
            if name:
                values = values.copy()
                values[name_field] = name
        return values

    @classmethod
    def write(cls, *args):
        super().write(*cls._ev_compose_names(args))

    @classmethod
    def _ev_compose_names(cls, args):
        """Return the write arguments with the full name composed from the
        parts where the parts change and the name was not typed"""
        name_field = cls._ev_name_field
        parts = ['first_name', 'middle_name', 'last_name']
        if not name_field:
            return args
        result = []
        actions = iter(args)
        for records, values in zip(actions, actions):
            if name_field in values or not set(parts) & values.keys():
                result.extend([records, values])
                continue
            by_name = {}
            for record in records:
                current = getattr(record, name_field)
                old = compose_name(*(getattr(record, p) for p in parts))
                new = compose_name(*(
                        values[p] if p in values else getattr(record, p)
                        for p in parts))
                if (not current or current == old) and new != current:
                    by_name.setdefault(new, []).append(record)
                else:
                    by_name.setdefault(False, []).append(record)
            for name, group in by_name.items():
                if name is False:
                    result.extend([group, values])
                else:
                    result.extend([group, {**values, name_field: name}])
        return result

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        cls.check_ev_profile(records, field_names)

    @classmethod
    def check_ev_profile(cls, records, field_names=None):
        "Check the birth date and the banner image"
        pool = Pool()
        Date = pool.get('ir.date')
        if field_names and not (field_names & {'birth_date', 'banner'}):
            return
        today = Date.today()
        for record in records:
            if record.birth_date and not (
                    dt.date(1900, 1, 1) <= record.birth_date <= today):
                raise ProfileValidationError(gettext(
                        'ev_partner.msg_user_birth_date_invalid',
                        date=record.birth_date.isoformat(),
                        user=record.rec_name))
            if record.banner and (len(record.banner) > BANNER_MAX_SIZE
                    or not is_banner_image(record.banner)):
                raise ProfileValidationError(gettext(
                        'ev_partner.msg_user_banner_invalid',
                        size=BANNER_MAX_SIZE // (1024 * 1024)))

    # The profile as a JSON-able dict, for the client app

    _ev_profile_texts = [
        'first_name', 'middle_name', 'last_name', 'location', 'interests',
        'biography']

    def ev_profile(self):
        "Return the profile as a JSON-able dict"
        profile = {
            'id': self.id,
            'gender': self.gender,
            'birth_date': (
                self.birth_date.isoformat() if self.birth_date else None),
            'timezone': self.ev_timezone,
            'theme': self.theme,
            'mute_sounds': bool(self.mute_sounds),
            'banner': (base64.b64encode(self.banner).decode('ascii')
                if self.banner else None),
            }
        for name in self._ev_profile_texts:
            profile[name] = getattr(self, name)
        if self._ev_name_field:
            profile['name'] = getattr(self, self._ev_name_field)
        if 'emails' in self._fields:
            profile['emails'] = [e.ev_profile() for e in self.emails]
        if 'phones' in self._fields:
            profile['phones'] = [p.ev_profile() for p in self.phones]
        return profile

    @classmethod
    def ev_profile_values(cls, record, profile):
        """Return the values to write on record for the profile dict

        It raises ProfileError on an unknown key or a value of the wrong
        type; the fields' own checks run when the values are written.
        """
        pool = Pool()
        values = {}
        selections = {
            'gender': ('gender', GENDERS),
            'theme': ('theme', THEMES),
            'timezone': ('ev_timezone', TIMEZONES),
            }
        texts = list(cls._ev_profile_texts)
        if cls._ev_name_field:
            texts.append('name')
        for key, value in profile.items():
            if key in texts:
                if value is not None and not isinstance(value, str):
                    cls._ev_profile_invalid(key)
                field = cls._ev_name_field if key == 'name' else key
                if key == 'name' and (value or None) == getattr(
                        record, field):
                    # Unchanged: it follows the parts.
                    continue
                values[field] = value or None
            elif key in selections:
                field, selection = selections[key]
                if value not in {k for k, _ in selection}:
                    cls._ev_profile_invalid(key)
                values[field] = value
            elif key == 'birth_date':
                try:
                    values['birth_date'] = (
                        dt.date.fromisoformat(value) if value else None)
                except (TypeError, ValueError):
                    cls._ev_profile_invalid(key)
            elif key == 'mute_sounds':
                if not isinstance(value, bool):
                    cls._ev_profile_invalid(key)
                values['mute_sounds'] = value
            elif key == 'banner':
                if value is None:
                    values['banner'] = None
                elif isinstance(value, str):
                    try:
                        values['banner'] = base64.b64decode(
                            value, validate=True)
                    except (binascii.Error, ValueError):
                        cls._ev_profile_invalid(key)
                else:
                    cls._ev_profile_invalid(key)
            elif key in {'emails', 'phones'} and key in cls._fields:
                Target = pool.get(cls._fields[key].model_name)
                values[key] = Target.ev_profile_actions(
                    getattr(record, key), value, key)
            else:
                raise ProfileError(gettext(
                        'ev_partner.msg_profile_field_unknown', field=key))
        return values

    @classmethod
    def _ev_profile_invalid(cls, key):
        raise ProfileError(gettext(
                'ev_partner.msg_profile_value_invalid', field=key))


class _EvContactMixin:
    "Conversion of a user's contact rows from and to the profile dict"
    __slots__ = ()
    _ev_profile_keys = {}

    def ev_profile(self):
        "Return the row as a JSON-able dict"
        result = {'id': self.id}
        for key, type_ in self._ev_profile_keys.items():
            value = getattr(self, key)
            # SQLite gives booleans as integers.
            result[key] = type_(value) if type_ is bool else value
        return result

    @classmethod
    def ev_profile_actions(cls, current, rows, key):
        """Return the One2Many actions that make current match the list of
        dicts rows: rows with an id update, the others are created and the
        missing ones deleted"""
        if not isinstance(rows, list):
            EvProfileMixin._ev_profile_invalid(key)
        existing = {r.id for r in current}
        to_create, kept, actions = [], set(), []
        for row in rows:
            if not isinstance(row, dict):
                EvProfileMixin._ev_profile_invalid(key)
            values = {}
            for name, value in row.items():
                if name == 'id':
                    continue
                if name not in cls._ev_profile_keys or not isinstance(
                        value, cls._ev_profile_keys[name]):
                    EvProfileMixin._ev_profile_invalid(key)
                values[name] = value
            if row.get('id') is not None:
                if row['id'] not in existing or row['id'] in kept:
                    EvProfileMixin._ev_profile_invalid(key)
                kept.add(row['id'])
                if values:
                    actions.append(('write', [row['id']], values))
            else:
                to_create.append(values)
        if existing - kept:
            actions.insert(0, ('delete', sorted(existing - kept)))
        if to_create:
            actions.append(('create', to_create))
        return actions


class EvEmailMixin(_EvContactMixin):
    """An e-mail address of a user, one of them primary, with the kinds of
    notices sent to it

    The concrete model sets _ev_owner to its Many2One to the user; the
    owner's "email" field follows the primary address unless
    _ev_sync_owner_email is False (web.user logs in with its e-mail).
    """
    __slots__ = ()
    _ev_owner = None
    _ev_sync_owner_email = True
    _ev_profile_keys = {
        'email': str,
        'primary': bool,
        'notify_alerts': bool,
        'notify_receipts': bool,
        'notify_support': bool,
        }

    email = fields.Char("E-mail", required=True, strip=True)
    primary = fields.Boolean(
        "Primary",
        help="The address account messages, such as a password reset, "
        "are sent to; exactly one address of the user is primary.")
    notify_alerts = fields.Boolean(
        "Alerts", help="Send station and charging alerts to this address.")
    notify_receipts = fields.Boolean(
        "Receipts", help="Send receipts and invoices to this address.")
    notify_support = fields.Boolean(
        "Support", help="Send answers to support requests to this address.")

    @classmethod
    def default_primary(cls):
        return False

    @classmethod
    def default_notify_alerts(cls):
        return True

    @classmethod
    def default_notify_receipts(cls):
        return True

    @classmethod
    def default_notify_support(cls):
        return True

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        cls.check_email(records, field_names)

    @classmethod
    def check_email(cls, records, field_names=None):
        "Check that the addresses are valid"
        if field_names and 'email' not in field_names:
            return
        for record in records:
            valid = bool(EMAIL_RE.match(record.email or ''))
            if valid:
                try:
                    validate_email(record.email)
                except EmailNotValidError:
                    valid = False
            if not valid:
                raise ProfileValidationError(gettext(
                        'ev_partner.msg_user_email_invalid',
                        email=record.email))

    def get_rec_name(self, name):
        return self.email

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('email',) + tuple(clause[1:])]

    @classmethod
    def create(cls, vlist):
        owners = {v.get(cls._ev_owner) for v in vlist if v.get('primary')}
        if owners:
            cls._ev_clear_primary(owners - {None})
        records = super().create(vlist)
        cls._ev_settle({getattr(r, cls._ev_owner) for r in records})
        return records

    @classmethod
    def write(cls, *args):
        owners = set()
        actions = iter(args)
        for records, values in zip(actions, actions):
            owners.update(getattr(r, cls._ev_owner) for r in records)
            if values.get('primary'):
                cls._ev_clear_primary(
                    {getattr(r, cls._ev_owner).id for r in records},
                    exclude=records)
        super().write(*args)
        actions = iter(args)
        for records, values in zip(actions, actions):
            owners.update(getattr(r, cls._ev_owner) for r in records)
        cls._ev_settle(owners)

    @classmethod
    def delete(cls, records):
        owners = {getattr(r, cls._ev_owner) for r in records}
        super().delete(records)
        cls._ev_settle(owners)

    @classmethod
    def _ev_clear_primary(cls, owner_ids, exclude=()):
        "Make the addresses of the owners no longer primary"
        with without_check_access():
            others = cls.search([
                    (cls._ev_owner, 'in', [int(o) for o in owner_ids]),
                    ('primary', '=', True),
                    ('id', 'not in', [r.id for r in exclude]),
                    ])
            if others:
                super().write(others, {'primary': False})

    @classmethod
    def _ev_settle(cls, owners):
        """Make one address of each owner primary when none is, and copy
        the primary address to the owner"""
        pool = Pool()
        owner_ids = sorted({int(o) for o in owners if o is not None})
        if not owner_ids:
            return
        Owner = pool.get(cls._fields[cls._ev_owner].model_name)
        with without_check_access():
            for owner in Owner.browse(owner_ids):
                records = cls.search([
                        (cls._ev_owner, '=', owner.id),
                        ], order=[('id', 'ASC')])
                primaries = [r for r in records if r.primary]
                if records and not primaries:
                    super().write(records[:1], {'primary': True})
                    primaries = records[:1]
                email = primaries[0].email if primaries else None
                if cls._ev_sync_owner_email and owner.email != email:
                    with Transaction().set_context(_ev_email_sync=True):
                        Owner.write([owner], {'email': email})

    @classmethod
    def ev_profile_actions(cls, current, rows, key):
        if (isinstance(rows, list) and rows
                and all(isinstance(r, dict) for r in rows)):
            primaries = {r.id for r in current if r.primary}
            if not any(r.get('primary') or (
                        r.get('id') in primaries
                        and r.get('primary', True))
                    for r in rows):
                # No address stays primary: the first listed becomes it.
                rows = [{**rows[0], 'primary': True}] + rows[1:]
        actions = super().ev_profile_actions(current, rows, key)
        # Unset before set, so that there is never two primary addresses.
        actions.sort(key=lambda a: a[0] == 'write' and a[2].get('primary'))
        return actions


class EvPhoneMixin(_EvContactMixin):
    "A phone number of a user"
    __slots__ = ()
    _ev_profile_keys = {
        'number': str,
        'kind': str,
        }

    number = fields.Char("Number", required=True, strip=True)
    kind = fields.Selection(PHONE_KINDS, "Kind", required=True)

    @classmethod
    def default_kind(cls):
        return 'mobile'

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        cls.check_number(records, field_names)

    @classmethod
    def check_number(cls, records, field_names=None):
        "Check that the numbers look like phone numbers"
        if field_names and 'number' not in field_names:
            return
        low, high = PHONE_DIGITS
        for record in records:
            number = record.number or ''
            digits = sum(c.isdigit() for c in number)
            if not PHONE_RE.match(number) or not low <= digits <= high:
                raise ProfileValidationError(gettext(
                        'ev_partner.msg_user_phone_invalid', number=number))

    def get_rec_name(self, name):
        return self.number

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('number',) + tuple(clause[1:])]

    @classmethod
    def ev_profile_actions(cls, current, rows, key):
        actions = super().ev_profile_actions(current, rows, key)
        kinds = {k for k, _ in PHONE_KINDS}
        for action in actions:
            for values in (action[1] if action[0] == 'create' else
                    action[2:] if action[0] == 'write' else []):
                if 'kind' in values and values['kind'] not in kinds:
                    EvProfileMixin._ev_profile_invalid(key)
        return actions


class UserEmail(EvEmailMixin, ModelSQL, ModelView):
    __name__ = 'ev.user.email'
    __string__ = "User E-mail"
    _ev_owner = 'user'

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('user_email_unique', Unique(t, t.user, t.email),
                'ev_partner.msg_user_email_unique'),
            ('user_primary_exclude',
                Exclude(t, (t.user, Equal), where=t.primary == Literal(True)),
                'ev_partner.msg_user_email_primary_unique'),
            ]
        cls._order = [('user', 'ASC'), ('primary', 'DESC'), ('id', 'ASC')]


class UserPhone(EvPhoneMixin, ModelSQL, ModelView):
    __name__ = 'ev.user.phone'
    __string__ = "User Phone"

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('user', 'ASC'), ('id', 'ASC')]


def _record_failed_password(database_name, login, context):
    "Count a wrong current password as a failed login of login"
    with Transaction(new=True).start(database_name, 0, context=context):
        LoginAttempt = Pool().get('res.user.login.attempt')
        LoginAttempt.add(login)


class User(EvProfileMixin, metaclass=PoolMeta):
    __name__ = 'res.user'

    emails = fields.One2Many('ev.user.email', 'user', "E-mails")
    phones = fields.One2Many('ev.user.phone', 'user', "Phones")
    ev_current_password = fields.Function(fields.Char(
            "Current Password", strip=False,
            states={
                'required': (
                    Eval('password', PASSWORD_PLACEHOLDER)
                    != PASSWORD_PLACEHOLDER),
                },
            depends=['password'],
            help="Your current password, to change the password."),
        'get_ev_current_password', setter='set_ev_current_password')

    # Shown in the preferences but never written from them.
    _ev_preferences_readonly = {
        'groups', 'roles', 'ev_partner', 'language_direction'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'ev_get_profile': RPC(check_access=False),
                'ev_set_profile': RPC(readonly=False, check_access=False),
                })
        cls._preferences_fields += [
            'first_name', 'middle_name', 'last_name', 'gender', 'birth_date',
            'ev_timezone', 'location', 'interests', 'biography', 'banner',
            'mute_sounds', 'theme', 'emails', 'phones',
            'ev_current_password',
            ]

    def get_ev_current_password(self, name):
        return None

    def ev_addresses_for(self, purpose):
        """Return the user's addresses chosen for purpose ('alerts',
        'receipts' or 'support'), else the user's e-mail"""
        chosen = [e.email for e in self.emails
            if getattr(e, 'notify_%s' % purpose)]
        if chosen:
            return chosen
        if self.emails:
            # Every address was unticked: the user chose none.
            return []
        return [self.email] if self.email else []

    @classmethod
    def set_ev_current_password(cls, users, name, value):
        # Only set_preferences and ev_set_profile read it.
        pass

    @classmethod
    def create(cls, vlist):
        users = super().create(vlist)
        if not Transaction().context.get('_ev_email_sync'):
            cls._ev_sync_emails([u for u, v in zip(users, vlist)
                    if 'email' in v and 'emails' not in v])
        return users

    @classmethod
    def write(cls, *args):
        super().write(*args)
        if not Transaction().context.get('_ev_email_sync'):
            to_sync = []
            actions = iter(args)
            for users, values in zip(actions, actions):
                if 'email' in values and 'emails' not in values:
                    to_sync.extend(users)
            cls._ev_sync_emails(to_sync)

    @classmethod
    def _ev_sync_emails(cls, users):
        "Make the users' e-mail field their primary address"
        pool = Pool()
        Email = pool.get('ev.user.email')
        with without_check_access(), \
                Transaction().set_context(_ev_email_sync=True):
            for user in cls.browse(users):
                primary = next((e for e in user.emails if e.primary), None)
                same = next(
                    (e for e in user.emails if e.email == user.email), None)
                if not user.email:
                    if primary:
                        Email.delete([primary])
                elif same:
                    if not same.primary:
                        Email.write([same], {'primary': True})
                elif primary:
                    Email.write([primary], {'email': user.email})
                else:
                    Email.create([{
                                'user': user.id,
                                'email': user.email,
                                'primary': True,
                                }])

    # Password policy

    @classmethod
    def validate_password(cls, password, users):
        check_password_policy(password, users)
        super().validate_password(password, users)

    @classmethod
    def ev_check_current_password(cls, user, password):
        """Raise unless password is the current password of user

        A wrong password counts as a failed login of the user, so that it
        cannot be guessed from an open session faster than by logging in.
        """
        pool = Pool()
        LoginAttempt = pool.get('res.user.login.attempt')
        transaction = Transaction()
        if not password:
            raise ProfileError(gettext(
                    'ev_partner.msg_user_current_password_required'))
        if LoginAttempt.count(user.login) > config.getint(
                'session', 'max_attempt', default=5):
            raise RateLimitException()
        _, password_hash, password_reset = cls._get_login(user.login)
        valid = False
        if password_hash:
            valid, _ = cls.check_password(password, password_hash)
        if not valid and password_reset:
            valid = compare_digest(password_reset, password)
        if not valid:
            logger.info("wrong current password for '%s'", user.login)
            transaction.atexit(_record_failed_password,
                transaction.database.name, user.login,
                {'_request': transaction.context.get('_request')})
            raise ProfileError(gettext(
                    'ev_partner.msg_user_current_password_wrong'))

    @classmethod
    def _ev_check_password_change(cls, user, values, current):
        "Check current when values change the password"
        if 'password' not in values:
            return
        password = values['password']
        if password == PASSWORD_PLACEHOLDER:
            del values['password']
            return
        cls.ev_check_current_password(user, current)
        if not password:
            raise PasswordPolicyError(gettext(
                    'ev_partner.msg_password_length',
                    length=max(config.getint(
                            'password', 'length', default=0) or 0, 1)))

    # Preferences

    @classmethod
    def _get_preferences(cls, user, context_only=False):
        preferences = super()._get_preferences(
            user, context_only=context_only)
        if user.ev_timezone:
            # For server code that formats times for the user.
            preferences['timezone'] = user.ev_timezone
        return preferences

    @classmethod
    def get_preferences_fields_view(cls):
        result = super().get_preferences_fields_view()
        for name in cls._ev_preferences_readonly:
            if name in result['fields']:
                result['fields'][name]['readonly'] = True
        return result

    @classmethod
    def set_preferences(cls, values):
        values = dict(values)
        current = values.pop('ev_current_password', None)
        for name in cls._ev_preferences_readonly & values.keys():
            logger.warning(
                "preferences: '%s' is read-only, ignored", name)
            del values[name]
        user = cls(Transaction().user)
        cls._ev_check_password_change(user, values, current)
        super().set_preferences(values)

    # Profile API for the client app

    @classmethod
    def ev_get_profile(cls):
        "Return the profile of the current user as a JSON-able dict"
        user = cls(Transaction().user)
        profile = user.ev_profile()
        profile.update({
                'login': user.login,
                'email': user.email,
                'language': user.language.code if user.language else None,
                'roles': [{
                        'name': r.role.name,
                        'from_date': (r.from_date.isoformat()
                            if r.from_date else None),
                        'to_date': (r.to_date.isoformat()
                            if r.to_date else None),
                        } for r in user.roles],
                })
        return profile

    @classmethod
    def ev_set_profile(cls, values):
        """Update the profile of the current user from the dict values and
        return the new profile

        "password" changes the password and then needs "current_password".
        """
        pool = Pool()
        Lang = pool.get('ir.lang')
        if not isinstance(values, dict):
            raise ProfileError(gettext(
                    'ev_partner.msg_profile_value_invalid', field='-'))
        values = dict(values)
        user = cls(Transaction().user)
        current = values.pop('current_password', None)
        # What ev_get_profile returns may come back unchanged.
        readonly = {k: v for k, v in cls.ev_get_profile().items()
            if k in {'id', 'login', 'email', 'roles'}}
        for key in readonly.keys() & values.keys():
            if values.pop(key) != readonly[key]:
                raise ProfileError(gettext(
                        'ev_partner.msg_profile_field_readonly', field=key))
        to_write = {}
        if 'password' in values:
            password = values.pop('password')
            if not isinstance(password, str):
                cls._ev_profile_invalid('password')
            to_write['password'] = password
            cls._ev_check_password_change(user, to_write, current)
        if 'language' in values:
            code = values.pop('language')
            langs = Lang.search([
                    ('code', '=', code),
                    ('translatable', '=', True),
                    ]) if isinstance(code, str) else []
            if code is not None and not langs:
                cls._ev_profile_invalid('language')
            to_write['language'] = langs[0].id if langs else None
        to_write.update(cls.ev_profile_values(user, values))
        if to_write:
            cls.write([user], to_write)
        return cls.ev_get_profile()


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    _ev_user_models = {'ev.user.email', 'ev.user.phone'}

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in cls._ev_user_models:
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if model_names & cls._ev_user_models:
            key = (*key, Transaction().user)
        return key
