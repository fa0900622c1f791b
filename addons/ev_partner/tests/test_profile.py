# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Unit tests of the user profile and of the password policy"
import base64
import contextlib
import datetime as dt
import os
import tempfile
import unittest

import trytond.config as config
from trytond.exceptions import RateLimitException, UserError
from trytond.modules.ev_partner.profile import (
    PASSWORD_PLACEHOLDER, check_password_policy)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

PNG = b'\x89PNG\r\n\x1a\n' + b'\0' * 32
STRONG = 'Kv7!rq-Tz2#m'


@contextlib.contextmanager
def password_config(**options):
    "Set [password] options for the duration of the block"
    saved = {k: config.get('password', k) for k in options}
    for key, value in options.items():
        config.set('password', key, str(value))
    try:
        yield
    finally:
        for key, value in saved.items():
            config.set('password', key, value if value is not None else '')


@contextlib.contextmanager
def forbidden_file(*passwords):
    "Yield the path of a forbidden-passwords file holding passwords"
    fd, path = tempfile.mkstemp(suffix='.txt')
    with os.fdopen(fd, 'w') as fp:
        fp.write('\n'.join(passwords) + '\n')
    try:
        yield path
    finally:
        os.unlink(path)


class ProfileTestCase(unittest.TestCase):
    "Test the user profile"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('ev_partner')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def user(self, login='jdoe', password=STRONG, **values):
        User = Pool().get('res.user')
        user = User(login=login, password=password, **values)
        user.save()
        return user

    def as_user(self, user):
        "Run as user, with access rights checked as over RPC"
        stack = contextlib.ExitStack()
        stack.enter_context(Transaction().set_user(user.id))
        stack.enter_context(Transaction().set_context(_check_access=True))
        return stack

    # Full name

    @with_transaction()
    def test_name_composed(self):
        "The full name is made of first, middle and last name"
        user = self.user(first_name="Ivan", middle_name="Petrovich",
            last_name="Sidorov")
        self.assertEqual(user.name, "Ivan Petrovich Sidorov")

        user.last_name = "Kozlov"
        user.save()
        self.assertEqual(user.name, "Ivan Petrovich Kozlov")

        user.middle_name = None
        user.save()
        self.assertEqual(user.name, "Ivan Kozlov")

    @with_transaction()
    def test_name_typed_kept(self):
        "A name the user typed is not replaced by the parts"
        user = self.user(name="Vanya", first_name="Ivan")
        self.assertEqual(user.name, "Vanya")
        user.last_name = "Kozlov"
        user.save()
        self.assertEqual(user.name, "Vanya")

    # E-mail addresses

    @with_transaction()
    def test_email_primary_synced(self):
        "The primary address is the user's e-mail, and there is one"
        Email = Pool().get('ev.user.email')
        user = self.user(email='ivan@example.com')
        first, = user.emails
        self.assertTrue(first.primary)

        second = Email(user=user, email='work@example.com', primary=True)
        second.save()
        user = type(user)(user.id)
        self.assertEqual(user.email, 'work@example.com')
        self.assertEqual(
            [(e.email, e.primary) for e in user.emails],
            [('work@example.com', True), ('ivan@example.com', False)])

        Email.delete([second])
        user = type(user)(user.id)
        self.assertEqual(user.email, 'ivan@example.com')
        self.assertTrue(user.emails[0].primary)

        Email.delete(list(user.emails))
        user = type(user)(user.id)
        self.assertIsNone(user.email)

    @with_transaction()
    def test_email_first_primary(self):
        "The first address of a user becomes primary"
        Email = Pool().get('ev.user.email')
        user = self.user()
        email = Email(user=user, email='ivan@example.com')
        email.save()
        self.assertTrue(email.primary)
        self.assertEqual(user.email, 'ivan@example.com')

    @with_transaction()
    def test_email_user_field_synced(self):
        "Writing the user's e-mail updates the primary address"
        user = self.user(email='ivan@example.com')
        user.email = 'new@example.com'
        user.save()
        primary, = user.emails
        self.assertEqual(primary.email, 'new@example.com')
        self.assertTrue(primary.primary)

    @with_transaction()
    def test_email_two_primary(self):
        "Two primary addresses in one go are refused"
        Email = Pool().get('ev.user.email')
        user = self.user()
        with self.assertRaises(UserError) as cm:
            Email.create([
                    {'user': user.id, 'email': 'a@example.com',
                        'primary': True},
                    {'user': user.id, 'email': 'b@example.com',
                        'primary': True},
                    ])
        self.assertIn('only one primary', cm.exception.message)

    @with_transaction()
    def test_email_invalid_duplicate(self):
        "Invalid and duplicate addresses are refused"
        Email = Pool().get('ev.user.email')
        user = self.user(email='ivan@example.com')
        with self.assertRaises(UserError) as cm:
            Email(user=user, email='not an address').save()
        self.assertIn('not a valid e-mail', cm.exception.message)
        with self.assertRaises(UserError) as cm:
            Email(user=user, email='ivan@example.com').save()
        self.assertIn('already has this e-mail', cm.exception.message)

    @with_transaction()
    def test_email_rule_own(self):
        "A user reads only their own addresses"
        Email = Pool().get('ev.user.email')
        ivan = self.user('ivan', email='ivan@example.com')
        self.user('petr', email='petr@example.com')
        with self.as_user(ivan):
            emails = Email.search([])
            self.assertEqual([e.email for e in emails], ['ivan@example.com'])

    # Phones, birth date, banner

    @with_transaction()
    def test_phone_number(self):
        "Phone numbers must look like phone numbers"
        Phone = Pool().get('ev.user.phone')
        user = self.user()
        Phone(user=user, number='+7 (495) 123-45-67', kind='work').save()
        for number in ['12', 'call me', '+7 495 123 45 67 89 01 23']:
            with self.subTest(number=number):
                with self.assertRaises(UserError):
                    Phone(user=user, number=number).save()

    @with_transaction()
    def test_birth_date_banner(self):
        "A birth date in the future and a banner that is no image fail"
        user = self.user()
        user.birth_date = dt.date.today() + dt.timedelta(days=1)
        with self.assertRaises(UserError):
            user.save()
        user = self.user('other', banner=PNG)
        user.banner = b'<svg onload="alert(1)"/>'
        with self.assertRaises(UserError) as cm:
            user.save()
        self.assertIn('PNG, JPEG, GIF or WebP', cm.exception.message)

    # Password policy

    @with_transaction()
    def test_password_policy(self):
        "Length, distinct characters, forbidden list and personal data"
        user = self.user(name="Ivan Kozlov", email='ivan@example.com')
        with forbidden_file('123456', 'qwertyuiop123') as path, \
                password_config(length=10, entropy=0.7, forbidden=path):
            for password, text in [
                    ('Ab1!', 'at least 10 characters'),
                    ('aaaaabbbbbccccc', 'at least 7 different'),
                    ('QWERTYuiop123', 'forbidden'),
                    ('ivan@example.com', 'your name, login or e-mail'),
                    ]:
                with self.subTest(password=password):
                    with self.assertRaises(UserError) as cm:
                        user.password = password
                        user.save()
                    self.assertIn(text, cm.exception.message)
            # Long passphrases have repeated letters and still pass.
            check_password_policy('correct horse battery staple', [user])
            user.password = STRONG
            user.save()

    @with_transaction()
    def test_set_preferences_password(self):
        "Changing the password in the preferences needs the current one"
        User = Pool().get('res.user')
        user = self.user()
        new = 'Zx9-pL4!wq7R'
        with Transaction().set_user(user.id):
            with self.assertRaises(UserError) as cm:
                User.set_preferences({'password': new})
            self.assertIn('current password', cm.exception.message)
            with self.assertRaises(UserError) as cm:
                User.set_preferences({
                        'password': new, 'ev_current_password': 'wrong'})
            self.assertIn('not correct', cm.exception.message)
            # The placeholder is "unchanged" and needs nothing.
            User.set_preferences({
                    'password': PASSWORD_PLACEHOLDER, 'first_name': "Ivan"})
            User.set_preferences({
                    'password': new, 'ev_current_password': STRONG})
        _, password_hash, _ = User._get_login(user.login)
        self.assertTrue(User.check_password(new, password_hash)[0])
        self.assertEqual(User(user.id).first_name, "Ivan")

    @with_transaction()
    def test_set_preferences_empty_password(self):
        "The password cannot be removed from the preferences"
        User = Pool().get('res.user')
        user = self.user()
        with Transaction().set_user(user.id):
            with self.assertRaises(UserError) as cm:
                User.set_preferences({
                        'password': '', 'ev_current_password': STRONG})
        self.assertIn('at least', cm.exception.message)

    @with_transaction()
    def test_current_password_throttled(self):
        "Too many failed attempts refuse even the right current password"
        pool = Pool()
        User = pool.get('res.user')
        LoginAttempt = pool.get('res.user.login.attempt')
        user = self.user()
        max_attempt = config.getint('session', 'max_attempt', default=5)
        for _ in range(max_attempt + 1):
            LoginAttempt.add(user.login)
        with Transaction().set_user(user.id):
            with self.assertRaises(RateLimitException):
                User.set_preferences({
                        'password': 'Zx9-pL4!wq7R',
                        'ev_current_password': STRONG})

    @with_transaction()
    def test_set_preferences_readonly(self):
        "Roles and the partner cannot be taken from the preferences"
        pool = Pool()
        User = pool.get('res.user')
        Role = pool.get('res.role')
        Partner = pool.get('ev.partner')
        role, = Role.search([('name', '=', "EV Finance")])
        user = self.user()
        with Transaction().set_user(user.id):
            User.set_preferences({
                    'roles': [('create', [{'role': role.id}])],
                    'ev_partner': -1,
                    'last_name': "Kozlov",
                    })
            view = User.get_preferences_fields_view()
        user = User(user.id)
        self.assertEqual(user.roles, ())
        self.assertIsNone(user.ev_partner)
        self.assertEqual(user.last_name, "Kozlov")
        self.assertTrue(view['fields']['roles']['readonly'])
        self.assertFalse(view['fields']['ev_current_password']['readonly'])
        self.assertFalse(Partner.search([]))

    @with_transaction()
    def test_preferences_timezone(self):
        "The user's time zone is in the context"
        User = Pool().get('res.user')
        user = self.user(ev_timezone='Europe/Moscow')
        with Transaction().set_user(user.id):
            context = User.get_preferences(True)
            preferences = User.get_preferences(False)
        self.assertEqual(context['timezone'], 'Europe/Moscow')
        self.assertEqual(preferences['theme'], 'light')
        self.assertIn('emails', preferences)

    # Profile API

    @with_transaction()
    def test_profile_round_trip(self):
        "The client app reads and writes the profile as plain JSON"
        User = Pool().get('res.user')
        user = self.user(email='ivan@example.com')
        with Transaction().set_user(user.id):
            profile = User.ev_get_profile()
            self.assertEqual(profile['login'], 'jdoe')
            self.assertEqual(profile['theme'], 'light')
            self.assertEqual(
                [e['email'] for e in profile['emails']], ['ivan@example.com'])

            profile.update({
                    'first_name': "Ivan", 'last_name': "Kozlov",
                    'birth_date': '1990-05-17',
                    'timezone': 'Asia/Yekaterinburg',
                    'theme': 'dark', 'mute_sounds': True, 'gender': 'male',
                    'banner': base64.b64encode(PNG).decode(),
                    'phones': [
                        {'number': '+7 912 000-00-00', 'kind': 'mobile'}],
                    })
            profile['emails'].append({
                    'email': 'work@example.com', 'primary': True,
                    'notify_alerts': False})
            profile = User.ev_set_profile(profile)
        self.assertEqual(profile['name'], "Ivan Kozlov")
        self.assertEqual(profile['birth_date'], '1990-05-17')
        self.assertEqual(profile['timezone'], 'Asia/Yekaterinburg')
        self.assertEqual(profile['email'], 'work@example.com')
        self.assertEqual(
            [(e['email'], e['primary'], e['notify_alerts'])
                for e in profile['emails']],
            [('work@example.com', True, False),
                ('ivan@example.com', False, True)])
        self.assertEqual(profile['phones'][0]['kind'], 'mobile')
        self.assertEqual(base64.b64decode(profile['banner']), PNG)

        # A list without an address deletes it.
        with Transaction().set_user(user.id):
            profile = User.ev_set_profile({
                    'emails': [e for e in profile['emails'] if e['primary']],
                    'phones': [],
                    })
        self.assertEqual(len(profile['emails']), 1)
        self.assertEqual(profile['phones'], [])

    @with_transaction()
    def test_profile_errors(self):
        "Unknown fields, wrong values and foreign rows are refused clearly"
        User = Pool().get('res.user')
        user = self.user()
        other = self.user('other', email='other@example.com')
        with Transaction().set_user(user.id):
            for values, text in [
                    ({'shoe_size': 42}, 'has no field "shoe_size"'),
                    ({'birth_date': '17.05.1990'}, '"birth_date"'),
                    ({'theme': 'pink'}, '"theme"'),
                    ({'mute_sounds': 'yes'}, '"mute_sounds"'),
                    ({'emails': [{'id': other.emails[0].id}]}, '"emails"'),
                    ({'phones': [{'number': '1', 'kind': 'pager'}]},
                        '"phones"'),
                    ({'login': 'root'}, 'cannot be changed'),
                    ({'language': 'xx'}, '"language"'),
                    ({'password': 'Zx9-pL4!wq7R'}, 'current password'),
                    ]:
                with self.subTest(values=values):
                    with self.assertRaises(UserError) as cm:
                        User.ev_set_profile(values)
                    self.assertIn(text, cm.exception.message)
            User.ev_set_profile({
                    'password': 'Zx9-pL4!wq7R', 'current_password': STRONG})
