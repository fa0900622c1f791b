# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client API over HTTP: accounts, sessions, CSRF, throttling, stations,
the isolation of one client from another, and the app's static files"""
import datetime as dt
import os
import re
import shutil
import tempfile
from decimal import Decimal
from unittest.mock import Mock, patch

import trytond.config as config
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.ev_partner.outbox import OutboxDataManager
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction
from trytond.wsgi import app

# Under pytest the package is also imported as "ev_portal_pwa": the routes
# the server answers with are those imported first. Both are set up.
from .. import routes
from trytond.modules.ev_portal_pwa import routes as trytond_routes  # noqa: I

FROM = 'noreply@ev.example'
PASSWORD = 'Correct-Horse-7'
RU_MESSAGES = [
    ('msg_api_not_logged_in', "Войдите, чтобы продолжить."),
    ]
# Moscow, Saint Petersburg, Kazan.
MOSCOW = (55.7558, 37.6173)
SAINT_PETERSBURG = (59.9343, 30.3351)
KAZAN = (55.7963, 49.1088)


def translate_messages(messages):
    """Give the module's ir.message records of messages [(xml id, text)]
    their Russian text"""
    pool = Pool()
    Translation = pool.get('ir.translation')
    ModelData = pool.get('ir.model.data')
    Translation.create([{
                'lang': 'ru', 'type': 'model', 'name': 'ir.message,text',
                'res_id': ModelData.get_id('ev_portal_pwa', xml_id),
                'src': '', 'value': value, 'module': 'ev_portal_pwa',
                } for xml_id, value in messages])


def setup_network():
    "Create the operator's company, a partner and its stations"
    pool = Pool()
    User = pool.get('res.user')
    Lang = pool.get('ir.lang')
    Party = pool.get('party.party')
    Station = pool.get('ev.station')
    Connector = pool.get('ev.connector')
    ConnectorType = pool.get('ev.connector.type')
    PaymentJournal = pool.get('account.payment.journal')

    company = create_company()
    admin = User(1)
    admin.companies = [company]
    admin.company = company
    admin.save()

    russian, = Lang.search([('code', '=', 'ru')])
    russian.translatable = True
    russian.save()
    translate_messages(RU_MESSAGES)

    with set_company(company):
        partner = Party(name="Volt Charging", ev_partner=True)
        partner.save()
        ccs2, = ConnectorType.search([('code', '=', 'ccs2')])
        type2, = ConnectorType.search([('code', '=', 'type2')])
        stations = []
        for name, (lat, lon), type_, status in [
                ("Moscow Centre", MOSCOW, ccs2, 'available'),
                ("Nevsky", SAINT_PETERSBURG, type2, 'charging'),
                ("Kazan Kremlin", KAZAN, ccs2, None),
                ("Depot", MOSCOW, ccs2, None),
                ]:
            station = Station(name=name, identity=name.replace(' ', '-'),
                partner=partner, latitude=lat, longitude=lon,
                street="Main street 1", city=name.split()[0],
                opening_hours="24/7")
            station.connectors = [Connector(number=1, evse=1, type=type_,
                    max_power=Decimal('50' if type_ == ccs2 else '22'))]
            station.save()
            if name != "Depot":
                Station.connect([station])
            if status:
                Station.write([station], {'online': True})
                Connector.write(list(station.connectors), {
                        'status': status})
            stations.append(station)
        PaymentJournal(name="Manual", process_method='manual',
            currency=company.currency, company=company).save()


class ApiHelpers:
    """What the client API's test cases share: the configuration, limiters
    and e-mails of each test, and calling the API as the app does"""

    def setUp(self):
        super().setUp()
        self.override_config('email', 'from', FROM)
        self.override_config('password', 'length', '8')
        for module in {routes, trytond_routes}:
            for limiter in [module.login_limiter, module.register_limiter,
                    module.reset_limiter, module.support_limiter,
                    module.support_message_limiter]:
                limiter.clear()
        # Every message handed to the outbox (which web_user's e-mails go
        # through too); after the commit it "sends" them to no server.
        self.sent = []
        put = OutboxDataManager.put

        def queue(manager, from_addr, to_addrs, msg):
            self.sent.append(msg)
            return put(manager, from_addr, to_addrs, msg)
        for target, kwargs in [
                ('trytond.modules.ev_partner.outbox.OutboxDataManager.put',
                    {'new': queue}),
                ('trytond.modules.ev_partner.outbox.get_smtp_server',
                    {'return_value': Mock()}),
                ('trytond.modules.ev_partner.outbox.send_message',
                    {'return_value': None}),
                # None may go out around the outbox.
                ('trytond.modules.web_user.user.send_message_transactional',
                    {'side_effect': AssertionError(
                            "sent around the outbox")}),
                # web_user makes a failed login wait 2**attempts - 1 s.
                ('trytond.modules.web_user.user.time', {'new': Mock()}),
                ]:
            patcher = patch(target, **kwargs)
            patcher.start()
            self.addCleanup(patcher.stop)

    def override_config(self, section, option, value):
        "Set an option of the configuration until the test ends"
        if not config.has_section(section):
            config.add_section(section)
        old = config.get(section, option)
        config.set(section, option, value)
        if old is not None:
            self.addCleanup(config.set, section, option, old)
        else:
            def remove():
                config._config.remove_option(section, option)
                config._cache_clear()
            self.addCleanup(remove)

    @property
    def cookie_path(self):
        return '/%s/ev/' % DB_NAME

    def url(self, path):
        return '/%s/ev/api/v1/%s' % (DB_NAME, path)

    def call(self, client, method, path, json=None, csrf=True, headers=(),
            **kwargs):
        "Call the API as the app does: the CSRF cookie echoed in a header"
        headers = list(headers)
        if csrf:
            cookie = client.get_cookie('ev_csrf', path=self.cookie_path)
            if cookie is None:
                client.get(self.url('config'))
                cookie = client.get_cookie('ev_csrf', path=self.cookie_path)
            headers.append(('X-CSRF-Token', cookie.value))
        return client.open(self.url(path), method=method, json=json,
            headers=headers, **kwargs)

    def body(self, msg):
        return msg.get_body(('html', 'plain')).get_content()

    def token(self, msg, kind):
        match = re.search(
            r'/ev/app/#/%s\?[^"<\s]*token=([0-9a-f]+)' % kind, self.body(msg))
        self.assertTrue(match, self.body(msg))
        return match.group(1)

    def register(self, client, email, name="Anna Petrova", **values):
        "Register and confirm a client, and return the confirmation token"
        response = self.call(client, 'POST', 'auth/register', dict(
                email=email, password=PASSWORD, name=name, **values))
        self.assertEqual(response.status_code, 201, response.get_data())
        msg = self.sent.pop()
        self.assertEqual(msg['To'], email.lower())
        return self.token(msg, 'confirm')

    def client_logged_in(self, email, name="Anna Petrova"):
        client = self.client()
        token = self.register(client, email, name)
        response = self.call(client, 'POST', 'auth/confirm', {'token': token})
        self.assertEqual(response.status_code, 200, response.get_data())
        response = self.call(client, 'POST', 'auth/login', {
                'email': email, 'password': PASSWORD})
        self.assertEqual(response.status_code, 200, response.get_data())
        return client

    def assertError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.get_data())
        error = response.get_json()['error']
        self.assertEqual(error['code'], code)
        self.assertTrue(error['message'])
        return error


class ApiTestCase(ApiHelpers, RouteTestCase):
    "Test the client API"
    module = 'ev_portal_pwa'

    @classmethod
    def setUpDatabase(cls):
        setup_network()

    # Public

    def test_config(self):
        "The configuration gives the tiles and languages, and a CSRF cookie"
        client = self.client()
        response = client.get(self.url('config'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_json(), {
                'tile_url': 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
                'tile_attribution': '© OpenStreetMap contributors',
                'languages': ['ru', 'en'],
                'default_language': 'ru',
                })
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        self.assertEqual(response.headers['X-Content-Type-Options'],
            'nosniff')
        cookie = client.get_cookie('ev_csrf', path=self.cookie_path)
        self.assertTrue(cookie and len(cookie.value) >= 32)
        self.assertFalse(cookie.http_only)
        self.assertEqual(cookie.same_site, 'Lax')

        # The cookie is kept, not replaced on each request.
        client.get(self.url('config'))
        self.assertEqual(
            client.get_cookie('ev_csrf', path=self.cookie_path).value,
            cookie.value)

        self.override_config('ev_portal_pwa', 'tile_url',
            'https://{s}.tiles.example/{z}/{x}/{y}.png')
        self.assertEqual(client.get(self.url('config')).get_json()[
                'tile_url'], 'https://{s}.tiles.example/{z}/{x}/{y}.png')
        self.assertEqual(trytond_routes.tile_origins(),
            ['https://*.tiles.example'])

    def test_openapi(self):
        "The OpenAPI document describes every route of the API"
        client = self.client()
        response = client.get(self.url('openapi.json'))
        self.assertEqual(response.status_code, 200)
        document = response.get_json()
        self.assertEqual(document['openapi'], '3.1.0')
        self.assertEqual(document['servers'],
            [{'url': '/%s/ev/api/v1' % DB_NAME}])
        routes_ = set()
        prefix = '/<database_name>/ev/api/v1'
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith(prefix):
                path = re.sub(r'<(?:\w+:)?(\w+)>', r'{\1}',
                    rule.rule[len(prefix):])
                for method in rule.methods - {'HEAD', 'OPTIONS'}:
                    routes_.add((path, method.lower()))
        documented = {(path, method)
            for path, item in document['paths'].items()
            for method in item}
        self.assertEqual(documented, routes_)
        schemas = document['components']['schemas']
        for ref in re.findall(r'"#/components/schemas/(\w+)"',
                response.get_data(as_text=True)):
            self.assertIn(ref, schemas)

    # Accounts

    def test_account_lifecycle(self):
        "Register, confirm, log in, read and change the profile, log out"
        client = self.client()
        token = self.register(client, 'Anna@Example.com',
            language='en')
        # Still unconfirmed: refused, in the client's language.
        response = self.call(client, 'POST', 'auth/login', {
                'email': 'anna@example.com', 'password': PASSWORD})
        error = self.assertError(response, 403,
            'msg_login_email_unconfirmed')
        self.assertIn('anna@example.com', error['message'])
        self.assertIsNone(client.get_cookie('ev_session',
                path=self.cookie_path))

        response = self.call(client, 'POST', 'auth/confirm', {
                'token': 'f' * 32})
        self.assertError(response, 400, 'msg_confirm_token_invalid')
        response = self.call(client, 'POST', 'auth/confirm', {
                'token': token})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_json(), {'email_valid': True})
        # A token works once.
        response = self.call(client, 'POST', 'auth/confirm', {
                'token': token})
        self.assertError(response, 400, 'msg_confirm_token_invalid')

        response = self.call(client, 'POST', 'auth/login', {
                'email': 'anna@example.com', 'password': PASSWORD})
        self.assertEqual(response.status_code, 200, response.get_data())
        result = response.get_json()
        self.assertEqual(result['profile'], {
                'email': 'anna@example.com',
                'name': "Anna Petrova",
                'phone': None,
                'language': 'en',
                'theme': 'light',
                'sounds': True,
                'notify_system': False,
                })
        session = client.get_cookie('ev_session', path=self.cookie_path)
        self.assertTrue(session.http_only)
        self.assertEqual(session.same_site, 'Lax')
        self.assertFalse(session.secure)
        self.assertEqual(
            client.get_cookie('ev_csrf', path=self.cookie_path).value,
            result['csrf_token'])

        response = client.get(self.url('me'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_json(), result['profile'])

        response = self.call(client, 'PATCH', 'me', {
                'name': "Anna Sokolova",
                'phone': '+7 900 000-00-01',
                'language': 'ru',
                'theme': 'dark',
                'sounds': False,
                })
        self.assertEqual(response.status_code, 200, response.get_data())
        expected = {
            'email': 'anna@example.com',
            'name': "Anna Sokolova",
            'phone': '+7 900 000-00-01',
            'language': 'ru',
            'theme': 'dark',
            'sounds': False,
            'notify_system': False,
            }
        self.assertEqual(response.get_json(), expected)
        self.assertEqual(client.get(self.url('me')).get_json(), expected)

        for values in [
                {'theme': 'blue'}, {'language': 'de'}, {'sounds': 1},
                {'name': ''}, {'name': 'x' * 201}]:
            with self.subTest(values=values):
                response = self.call(client, 'PATCH', 'me', values)
                self.assertEqual(response.status_code, 400)
                self.assertIn(response.get_json()['error']['code'], {
                        'msg_api_value_invalid', 'msg_api_value_required'})
        response = self.call(client, 'PATCH', 'me', {'phone': None})
        self.assertEqual(response.get_json()['phone'], None)
        self.assertEqual(client.get(self.url('me')).get_json(),
            dict(expected, phone=None))

        response = self.call(client, 'POST', 'auth/logout')
        self.assertEqual(response.status_code, 204)
        self.assertIsNone(client.get_cookie('ev_session',
                path=self.cookie_path))
        self.assertError(client.get(self.url('me')), 401,
            'msg_api_not_logged_in')

    def test_register_refused(self):
        "Registration refuses a used address, a weak password, bad input"
        client = self.client()
        self.register(client, 'boris@example.com', "Boris")
        for values, code in [
                ({'email': 'BORIS@example.com'}, 'msg_register_email_taken'),
                ({'email': 'not-an-address'}, 'msg_api_value_invalid'),
                ({'password': 'short'}, 'PasswordPolicyError'),
                ({'name': ''}, 'msg_api_value_required'),
                ({'language': 'fr'}, 'msg_api_value_invalid'),
                ]:
            with self.subTest(values=values):
                data = dict({'email': 'other@example.com',
                        'password': PASSWORD, 'name': "Other"}, **values)
                response = self.call(client, 'POST', 'auth/register', data)
                self.assertError(response, 400, code)
        response = self.call(client, 'POST', 'auth/register',
            data=b'[1, 2', content_type='application/json')
        self.assertError(response, 400, 'msg_api_unreadable')
        self.assertEqual(self.sent, [])
        with Transaction().start(DB_NAME, 0, readonly=True):
            WebUser = Pool().get('web.user')
            self.assertEqual(WebUser.search_count([
                        ('email', '=', 'other@example.com')]), 0)

    def test_csrf(self):
        "A request other than GET without the CSRF header is refused"
        client = self.client_logged_in('csrf@example.com')
        for headers in [[], [('X-CSRF-Token', 'forged')]]:
            with self.subTest(headers=headers):
                response = client.patch(self.url('me'),
                    json={'name': "Mallory"}, headers=headers)
                self.assertError(response, 403, 'msg_api_csrf')
                response = client.post(self.url('auth/logout'),
                    headers=headers)
                self.assertError(response, 403, 'msg_api_csrf')
        self.assertEqual(client.get(self.url('me')).get_json()['name'],
            "Anna Petrova")

        # A page of another site sends the cookies but cannot read them.
        other = self.client()
        response = other.post(self.url('auth/login'), json={
                'email': 'csrf@example.com', 'password': PASSWORD})
        self.assertError(response, 403, 'msg_api_csrf')

    def test_wrong_password_throttled(self):
        "Failed logins are throttled per account and per address"
        self.client_logged_in('carol@example.com', "Carol")
        client = self.client()
        statuses = []
        for _ in range(10):
            response = self.call(client, 'POST', 'auth/login', {
                    'email': 'carol@example.com', 'password': 'wrong-one'})
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        self.assertEqual(statuses[0], 401)
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertEqual(set(statuses[:-1]), {401})
        self.assertError(response, 429, 'msg_api_too_many_requests')
        # Even the right password waits now.
        response = self.call(client, 'POST', 'auth/login', {
                'email': 'carol@example.com', 'password': PASSWORD})
        self.assertEqual(response.status_code, 429)

        self.override_config('ev_portal_pwa', 'login_limit', '3')
        for module in {routes, trytond_routes}:
            module.login_limiter.clear()
        statuses = [self.call(client, 'POST', 'auth/login', {
                    'email': 'nobody%s@example.com' % i,
                    'password': 'wrong-one'}).status_code
            for i in range(4)]
        self.assertEqual(statuses, [401, 401, 401, 429])

    def test_reset_password(self):
        "A client sets a new password with the e-mailed token"
        self.client_logged_in('dmitry@example.com', "Dmitry")
        client = self.client()
        response = self.call(client, 'POST', 'auth/reset', {
                'email': 'nobody@example.com'})
        self.assertEqual(response.status_code, 202)
        self.assertEqual(self.sent, [])

        response = self.call(client, 'POST', 'auth/reset', {
                'email': 'dmitry@example.com'})
        self.assertEqual(response.status_code, 202)
        msg, = self.sent
        self.assertEqual(msg['To'], 'dmitry@example.com')
        token = self.token(msg, 'reset')
        # Logged and sent by the outbox, without the one-time link.
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Email = pool.get('ir.email')
            WebUser = pool.get('web.user')
            user, = WebUser.search([('email', '=', 'dmitry@example.com')])
            validation, reset = Email.search([
                    ('resource', '=', str(user)),
                    ], order=[('id', 'ASC')])
            self.assertEqual(reset.subject, msg['Subject'])
            self.assertEqual(reset.recipients, 'dmitry@example.com')
            for email in [validation, reset]:
                self.assertEqual(email.ev_state, 'sent')
                self.assertFalse(email.ev_mime)
                self.assertFalse(email.ev_resendable)

        new_password = 'Battery-Swap-42'
        response = self.call(client, 'POST', 'auth/password', {
                'email': 'dmitry@example.com', 'token': '0' * 32,
                'password': new_password})
        self.assertError(response, 400, 'msg_password_token_invalid')
        response = self.call(client, 'POST', 'auth/password', {
                'email': 'dmitry@example.com', 'token': token,
                'password': 'short'})
        self.assertError(response, 400, 'PasswordPolicyError')
        response = self.call(client, 'POST', 'auth/password', {
                'email': 'dmitry@example.com', 'token': token,
                'password': new_password})
        self.assertEqual(response.status_code, 204, response.get_data())

        response = self.call(client, 'POST', 'auth/login', {
                'email': 'dmitry@example.com', 'password': PASSWORD})
        self.assertError(response, 401, 'msg_login_invalid')
        response = self.call(client, 'POST', 'auth/login', {
                'email': 'dmitry@example.com', 'password': new_password})
        self.assertEqual(response.status_code, 200)

    def test_translated_errors(self):
        "Errors speak the client's language, Russian by default"
        client = self.client()
        for headers, message in [
                ([], "Войдите, чтобы продолжить."),
                ([('Accept-Language', 'ru-RU,ru;q=0.9')],
                    "Войдите, чтобы продолжить."),
                ([('Accept-Language', 'en-GB,en;q=0.8')],
                    "Log in to continue."),
                ([('Accept-Language', 'de-DE')],
                    "Войдите, чтобы продолжить."),
                ]:
            with self.subTest(headers=headers):
                response = client.get(self.url('me'), headers=headers)
                error = self.assertError(response, 401,
                    'msg_api_not_logged_in')
                self.assertEqual(error['message'], message)

    # Stations

    def test_stations(self):
        "The map lists the stations, the nearest first from a position"
        client = self.client()
        response = client.get(self.url('stations'))
        self.assertEqual(response.status_code, 200)
        stations = response.get_json()['stations']
        self.assertEqual([s['name'] for s in stations],
            ["Kazan Kremlin", "Moscow Centre", "Nevsky"])
        self.assertNotIn('distance_m', stations[0])
        moscow = stations[1]
        self.assertEqual(moscow['status'], 'available')
        self.assertEqual(moscow['partner'], "Volt Charging")
        self.assertEqual(moscow['opening_hours'], "24/7")
        self.assertEqual(moscow['address'], "Main street 1, Moscow")
        self.assertEqual((moscow['latitude'], moscow['longitude']), MOSCOW)
        connector, = moscow['connectors']
        self.assertEqual({k: connector[k] for k in [
                    'number', 'type', 'current', 'power_w', 'status']}, {
                'number': 1, 'type': 'ccs2', 'current': 'dc',
                'power_w': 50000, 'status': 'available'})
        self.assertEqual(stations[2]['status'], 'occupied')
        self.assertEqual(stations[0]['status'], 'offline')
        self.assertEqual(stations[0]['connectors'][0]['status'], 'unknown')

        response = client.get(self.url('stations'), query_string={
                'lat': SAINT_PETERSBURG[0] + 0.01,
                'lon': SAINT_PETERSBURG[1]})
        stations = response.get_json()['stations']
        self.assertEqual([s['name'] for s in stations],
            ["Nevsky", "Moscow Centre", "Kazan Kremlin"])
        distances = [s['distance_m'] for s in stations]
        self.assertAlmostEqual(distances[0], 1112, delta=5)
        self.assertAlmostEqual(distances[1], 634000, delta=3000)
        self.assertEqual(distances, sorted(distances))

        for query in [{'lat': '55'}, {'lat': '91', 'lon': '0'},
                {'lat': 'north', 'lon': '0'}, {'lat': 'nan', 'lon': '0'}]:
            with self.subTest(query=query):
                response = client.get(self.url('stations'),
                    query_string=query)
                self.assertEqual(response.status_code, 400)

    def test_station(self):
        "A station, priced for the logged-in client; drafts are hidden"
        anonymous = self.client()
        stations = anonymous.get(self.url('stations')).get_json()[
            'stations']
        moscow = next(s for s in stations if s['name'] == "Moscow Centre")
        response = anonymous.get(self.url('stations/%s' % moscow['id']))
        self.assertEqual(response.status_code, 200)
        result = response.get_json()
        self.assertIsNone(result['price'])
        self.assertEqual(result['connectors'], moscow['connectors'])

        client = self.client_logged_in('eva@example.com', "Eva")
        result = client.get(self.url('stations/%s' % moscow['id']),
            query_string={'energy_wh': 20000, 'minutes': 30}).get_json()
        connector, = moscow['connectors']
        # The EV Client rules hide every other party: the partner's name
        # is still shown.
        self.assertEqual(result['partner'], "Volt Charging")
        # No tariff is assigned in this network.
        self.assertEqual(result['price'], {
                'energy_wh': 20000, 'minutes': 30,
                'connectors': [{'connector': connector['id'],
                        'tariff': None}]})

        with Transaction().start(DB_NAME, 0, readonly=True):
            Station = Pool().get('ev.station')
            depot, = Station.search([('name', '=', "Depot")])
            depot_id = depot.id
        for station_id in [depot_id, 999999]:
            response = client.get(self.url('stations/%s' % station_id))
            self.assertError(response, 404, 'msg_station_not_found')

    # Isolation

    def test_isolation(self):
        "A client reads only its own account; no session, no account"
        clients = {
            'alice': self.client_logged_in('alice@example.com', "Alice"),
            'bob': self.client_logged_in('bob@example.com', "Bob"),
            }
        amounts = {'alice': Decimal('100.00'), 'bob': Decimal('777.00')}
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Party = pool.get('party.party')
            Company = pool.get('company.company')
            Payment = pool.get('account.payment')
            Journal = pool.get('account.payment.journal')
            IdTag = pool.get('ev.id_tag')
            company, = Company.search([])
            journal, = Journal.search([('name', '=', "Manual")])
            parties = {}
            with set_company(company):
                for name, amount in amounts.items():
                    party, = Party.search([('name', '=', name.title())])
                    parties[name] = party
                    Payment.create([{
                                'company': company.id,
                                'journal': journal.id,
                                'kind': 'receivable',
                                'party': party.id,
                                'amount': amount,
                                'date': dt.date(2026, 11, 27),
                                'ev_kind': 'topup',
                                }])
                    IdTag.create([{
                                'code': 'TAG-%s' % name,
                                'kind': 'rfid',
                                'party': party.id,
                                'status': 'accepted',
                                'company': company.id,
                                }])
            transaction.commit()

            # The record rules, not only the API's filters, confine the
            # technical user to the client's party.
            WebUser = pool.get('web.user')
            alice, = WebUser.search([('email', '=', 'alice@example.com')])
            with trytond_routes.as_client(pool, alice):
                self.assertEqual(
                    [t.code for t in IdTag.search([])], ['TAG-alice'])
                self.assertEqual(Party.search([]), [parties['alice']])
                self.assertEqual(Party.search([
                            ('name', '=', "Volt Charging")]), [])
            with trytond_routes.as_client(pool, None):
                self.assertEqual(IdTag.search([]), [])
                self.assertEqual(Party.search([]), [])

        for name, client in clients.items():
            with self.subTest(client=name):
                response = client.get(self.url('account'))
                self.assertEqual(response.status_code, 200,
                    response.get_data())
                account = response.get_json()
                self.assertEqual([p['amount'] for p in account['payments']],
                    [str(amounts[name])])
                other = [str(a) for n, a in amounts.items() if n != name]
                self.assertNotIn(other[0], response.get_data(as_text=True))
                self.assertEqual(account['balance'], '0')
                self.assertEqual(client.get(self.url('me')).get_json()[
                        'email'], '%s@example.com' % name)

        anonymous = self.client()
        self.assertError(anonymous.get(self.url('account')), 401,
            'msg_api_not_logged_in')
        # A made-up session key is no session.
        anonymous.set_cookie('ev_session', 'f' * 64, path=self.cookie_path)
        self.assertError(anonymous.get(self.url('account')), 401,
            'msg_api_not_logged_in')

    # The app

    def test_app_files(self):
        "web/dist is served with its content types and security headers"
        dist = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, dist)
        client = self.client()
        base = '/%s/ev/app/' % DB_NAME

        for module in {routes, trytond_routes}:
            patcher = patch.object(module, 'DIST', dist)
            patcher.start()
            self.addCleanup(patcher.stop)
        response = client.get(base)
        self.assertError(response, 404, 'msg_app_not_built')

        files = {
            'index.html': '<!DOCTYPE html><title>EV</title>',
            'app.js': 'console.log(1);',
            'app.css': 'body{}',
            'manifest.webmanifest': '{}',
            'sw.js': 'self.addEventListener("fetch", () => {});',
            'icons/icon-192.png': '\x89PNG',
            '.secret.js': 'no',
            }
        for name, content in files.items():
            path = os.path.join(dist, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as file:
                file.write(content)

        for path, content_type in [
                ('', 'text/html; charset=utf-8'),
                ('index.html', 'text/html; charset=utf-8'),
                ('app.js', 'text/javascript; charset=utf-8'),
                ('app.css', 'text/css; charset=utf-8'),
                ('manifest.webmanifest', 'application/manifest+json'),
                ('sw.js', 'text/javascript; charset=utf-8'),
                ('icons/icon-192.png', 'image/png'),
                ]:
            with self.subTest(path=path):
                response = client.get(base + path)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers['Content-Type'],
                    content_type)
                self.assertEqual(response.headers['Cache-Control'],
                    'no-cache')
                self.assertEqual(response.headers['X-Frame-Options'],
                    'DENY')
                csp = response.headers['Content-Security-Policy']
                self.assertIn("script-src 'self';", csp)
                self.assertIn(
                    "img-src 'self' data: blob: "
                    "https://tile.openstreetmap.org;", csp)
                self.assertNotIn('cdn', csp)
        response = client.get(base + 'sw.js')
        self.assertEqual(response.headers['Service-Worker-Allowed'], base)
        self.assertNotIn('Service-Worker-Allowed',
            client.get(base + 'app.js').headers)

        for path in ['missing.js', '.secret.js', '../routes.py',
                '..%2F__init__.py', 'icons/../../tryton.cfg']:
            with self.subTest(path=path):
                response = client.get(base + path)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.get_json()['error']['code'],
                    'msg_api_not_found')
