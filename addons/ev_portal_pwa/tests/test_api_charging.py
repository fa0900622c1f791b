# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Charging from the client API: the quote, the start refused or sent to the
charger as a remote start, the session in progress and its remote stop, and
one client kept from another's session"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import set_company
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from . import test_api

RU_BALANCE_LOW = (
    "На балансе недостаточно средств для начала зарядки: пополните его.")


class ChargingTestCase(test_api.ApiHelpers, RouteTestCase):
    "Test charging through the client API"
    module = 'ev_portal_pwa'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Station = pool.get('ev.station')
        Tariff = pool.get('ev.tariff')
        Assignment = pool.get('ev.tariff.assignment')
        Company = pool.get('company.company')
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        Translation = pool.get('ir.translation')
        ModelData = pool.get('ir.model.data')
        test_api.setup_network()
        company, = Company.search([])
        with set_company(company):
            # The prepaid balances' account, without a whole chart.
            type_ = AccountType(name="Receivable", statement='balance',
                receivable=True, assets=True, company=company)
            type_.save()
            Account(name="Client Balances", type=type_, company=company,
                party_required=True, reconcile=True).save()
            moscow, = Station.search([('name', '=', "Moscow Centre")])
            tariff = Tariff(name="Standard", price_per_kwh=Decimal('25'))
            tariff.save()
            Assignment(tariff=tariff, location='station', station=moscow,
                audience='everyone').save()
        Translation.create([{
                    'lang': 'ru', 'type': 'model',
                    'name': 'ir.message,text',
                    'res_id': ModelData.get_id(
                        'ev_billing', 'msg_start_balance_low'),
                    'src': '', 'value': RU_BALANCE_LOW,
                    'module': 'ev_billing',
                    }])

    def connector(self, station):
        "Return the id of the first connector of the station"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Station = Pool().get('ev.station')
            station, = Station.search([('name', '=', station)])
            return station.connectors[0].id

    def commands(self, action):
        "Return the station commands of action as dictionaries"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Command = Pool().get('ev.station.command')
            return [{
                    'station': c.station.name,
                    'connector': c.connector.id if c.connector else None,
                    'session': c.session.id if c.session else None,
                    'parameters': c.arguments,
                    'state': c.state,
                    } for c in Command.search([('action', '=', action)],
                    order=[('id', 'ASC')])]

    def test_quote(self):
        "The client sees its price, how it pays and whether it may start"
        moscow = self.connector("Moscow Centre")
        nevsky = self.connector("Nevsky")
        self.assertError(self.client().get(self.url('quote'),
                query_string={'connector': moscow}), 401,
            'msg_api_not_logged_in')
        client = self.client_logged_in('quinn@example.com', "Quinn")
        self.call(client, 'PATCH', 'me', {'language': 'en'})

        response = client.get(self.url('quote'), query_string={
                'connector': moscow, 'energy_wh': 10000, 'minutes': 60})
        self.assertEqual(response.status_code, 200, response.get_data())
        result = response.get_json()
        self.assertEqual(result['station']['name'], "Moscow Centre")
        self.assertEqual(result['connector']['id'], moscow)
        self.assertEqual(result['price']['tariff_name'], "Standard")
        self.assertEqual(Decimal(result['price']['total']), Decimal(250))
        self.assertEqual(result['discounts'], [])
        self.assertIsNone(result['promo'])
        self.assertEqual(result['payment']['method'], 'balance')
        self.assertTrue(result['may_start'])
        self.assertIsNone(result['reason'])

        # An unknown code is refused with the reason, the price unchanged.
        result = client.get(self.url('quote'), query_string={
                'connector': moscow, 'code': 'nope-1'}).get_json()
        self.assertFalse(result['promo']['valid'])
        self.assertIn('NOPE-1', result['promo']['reason'])
        self.assertEqual(Decimal(result['price']['total']), Decimal(250))

        # A busy connector may not start.
        result = client.get(self.url('quote'),
            query_string={'connector': nevsky}).get_json()
        self.assertFalse(result['may_start'])
        self.assertEqual(result['reason_code'], 'msg_connector_unavailable')
        self.assertIn("Nevsky", result['reason'])
        self.assertIsNone(result['price'])

        self.assertError(client.get(self.url('quote'),
                query_string={'connector': 'abc'}), 400,
            'msg_api_value_invalid')
        self.assertError(client.get(self.url('quote'),
                query_string={'connector': 999999}), 404,
            'msg_connector_not_found')

    def test_start_refused_balance_low(self):
        "Without enough balance the start is refused, in Russian"
        client = self.client_logged_in('lowe@example.com', "Lowe")
        moscow = self.connector("Moscow Centre")
        # The singleton is created on its first save: it locks its table.
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['ev_configuration']) as transaction:
            pool = Pool()
            Configuration = pool.get('ev.configuration')
            Account = pool.get('account.account')
            account, = Account.search([('name', '=', "Client Balances")])
            with set_company(account.company):
                config = Configuration(1)
                config.balance_account = account
                config.minimum_start_amount = Decimal(100)
                config.save()
            transaction.commit()
        self.addCleanup(self.reset_balance_account)

        result = client.get(self.url('quote'),
            query_string={'connector': moscow}).get_json()
        self.assertFalse(result['may_start'])
        self.assertEqual(result['reason_code'], 'msg_start_balance_low')
        self.assertEqual(result['reason'], RU_BALANCE_LOW)
        self.assertEqual(result['payment']['available'], '0')

        response = self.call(client, 'POST', 'sessions',
            {'connector': moscow})
        error = self.assertError(response, 403, 'msg_start_balance_low')
        self.assertEqual(error['message'], RU_BALANCE_LOW)
        self.assertEqual(self.commands('remote_start'), [])

    def reset_balance_account(self):
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['ev_configuration']) as transaction:
            Configuration = Pool().get('ev.configuration')
            config = Configuration(1)
            config.balance_account = None
            config.save()
            transaction.commit()

    def test_start_stop(self):
        "A start and a stop are remote commands; others see nothing"
        alice = self.client_logged_in('alice.c@example.com', "Alice C")
        bob = self.client_logged_in('bob.c@example.com', "Bob C")
        moscow = self.connector("Moscow Centre")
        self.assertEqual(alice.get(self.url('sessions/current')).get_data(),
            b'null')

        response = self.call(alice, 'POST', 'sessions', {'connector': moscow})
        self.assertEqual(response.status_code, 202, response.get_data())
        result = response.get_json()
        self.assertEqual(result['state'], 'starting')
        self.assertEqual(result['command']['state'], 'pending')
        self.assertEqual(result['connector']['id'], moscow)

        with Transaction().start(DB_NAME, 0, readonly=True):
            IdTag = Pool().get('ev.id_tag')
            tag, = IdTag.search([('party.name', '=', "Alice C")])
            self.assertEqual(tag.kind, 'app')
            tag_id, tag_code, party_id = tag.id, tag.code, tag.party.id
        self.assertEqual(self.commands('remote_start'), [{
                    'station': "Moscow Centre", 'connector': moscow,
                    'session': None, 'parameters': {'id_tag': tag_code},
                    'state': 'pending'}])

        current = alice.get(self.url('sessions/current')).get_json()
        self.assertEqual(current['state'], 'starting')
        self.assertEqual(bob.get(self.url('sessions/current')).get_data(),
            b'null')
        # A second tap does not send a second start.
        response = self.call(alice, 'POST', 'sessions', {'connector': moscow})
        self.assertError(response, 409, 'msg_charging_in_progress')
        self.assertEqual(len(self.commands('remote_start')), 1)

        # The charger starts the session of the token.
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Session = pool.get('ev.session')
            MeterValue = pool.get('ev.session.meter_value')
            Company = pool.get('company.company')
            Connector = pool.get('ev.connector')
            company, = Company.search([])
            connector = Connector(moscow)
            with set_company(company):
                session = Session(station=connector.station,
                    connector=connector, id_tag=tag_id, id_tag_code=tag_code,
                    client=party_id)
                session.save()
                start = utcnow() - dt.timedelta(minutes=30)
                Session.start([session], at=start, meter_start=1000,
                    transaction_ref='77')
                MeterValue.create([{
                            'session': session.id,
                            'measured_at': start + dt.timedelta(minutes=29),
                            'energy_wh': 6000, 'power_w': 22000,
                            }])
                Session.write([session], {'energy_wh': 5000})
            session_id = session.id
            transaction.commit()

        current = alice.get(self.url('sessions/current')).get_json()
        self.assertEqual(current['id'], session_id)
        self.assertEqual(current['state'], 'active')
        self.assertEqual(current['connector']['id'], moscow)
        self.assertEqual(current['energy_wh'], 5000)
        self.assertEqual(current['power_w'], 22000)
        self.assertAlmostEqual(current['duration_s'], 1800, delta=60)
        self.assertEqual(Decimal(current['cost']), Decimal(125))
        self.assertTrue(current['started_at'].endswith('Z'))
        self.assertFalse(current['stopping'])

        # Bob neither sees nor stops Alice's session.
        self.assertEqual(bob.get(self.url('sessions/current')).get_data(),
            b'null')
        response = self.call(bob, 'POST', 'sessions/%s/stop' % session_id)
        self.assertError(response, 404, 'msg_session_not_found')
        self.assertEqual(self.commands('remote_stop'), [])

        response = self.call(alice, 'POST', 'sessions/%s/stop' % session_id)
        self.assertEqual(response.status_code, 202, response.get_data())
        self.assertTrue(response.get_json()['stopping'])
        # A second tap does not send a second stop.
        response = self.call(alice, 'POST', 'sessions/%s/stop' % session_id)
        self.assertEqual(response.status_code, 202, response.get_data())
        self.assertEqual(self.commands('remote_stop'), [{
                    'station': "Moscow Centre", 'connector': moscow,
                    'session': session_id, 'parameters': {},
                    'state': 'pending'}])
        self.assertTrue(alice.get(self.url('sessions/current')).get_json()[
                'stopping'])

    def test_session_receipt(self):
        "The receipt of a priced session is the client's own, lines and all"
        alice = self.client_logged_in('alice.r@example.com', "Alice R")
        bob = self.client_logged_in('bob.r@example.com', "Bob R")
        moscow = self.connector("Moscow Centre")

        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Session = pool.get('ev.session')
            Company = pool.get('company.company')
            Connector = pool.get('ev.connector')
            Party = pool.get('party.party')
            company, = Company.search([])
            connector = Connector(moscow)
            party, = Party.search([('name', '=', "Alice R")])
            ids = []
            with set_company(company):
                for finished in [True, False]:
                    # Billed already: the receipt needs the price only.
                    session = Session(station=connector.station,
                        connector=connector, client=party,
                        billing_state='pending')
                    session.save()
                    stop = utcnow() - dt.timedelta(hours=2)
                    Session.start([session],
                        at=stop - dt.timedelta(minutes=40), meter_start=1000,
                        transaction_ref='R%s' % finished)
                    if finished:
                        # The stop prices it.
                        Session.stop([session], at=stop, meter_stop=13_000,
                            reason='local')
                    ids.append(session.id)
            priced_id, active_id = ids
            total = Session(priced_id).amount
            transaction.commit()
        # 12 kWh at 25 a kWh
        self.assertEqual(total, Decimal('300.00'))

        response = alice.get(self.url('sessions/%s/receipt' % priced_id))
        self.assertEqual(response.status_code, 200, response.get_data())
        self.assertEqual(response.headers['Content-Type'],
            'text/html; charset=utf-8')
        self.assertTrue(response.headers['Content-Security-Policy']
            .startswith("default-src 'none'"))
        html = response.get_data(as_text=True)
        self.assertIn("Moscow Centre", html)
        self.assertRegex(html, r'12[.,]000 kWh')
        self.assertIn('<td class="n" id="total"><strong>300.00', html)

        # Not another client's, nor one still charging
        for client, session_id in [(bob, priced_id), (alice, active_id),
                (alice, 999999)]:
            self.assertError(client.get(
                    self.url('sessions/%s/receipt' % session_id)), 404,
                'msg_session_not_found')
        self.assertError(self.client().get(
                self.url('sessions/%s/receipt' % priced_id)), 401,
            'msg_api_not_logged_in')
