# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client's notifications over HTTP: sessions finished, station faults
and payments, each client seeing its own only, read and unread"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import set_company
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from . import test_api

RU_MESSAGES = [
    ('msg_notify_session_finished', "Зарядка завершена"),
    ('msg_notify_session_finished_body_amount',
        "%(station)s: %(energy)s кВт·ч за %(amount)s."),
    ]


def iso(value):
    return value.replace(microsecond=0).isoformat() + 'Z'


class NotificationsTestCase(test_api.ApiHelpers, RouteTestCase):
    "Test the notifications of the client API"
    module = 'ev_portal_pwa'

    @classmethod
    def setUpDatabase(cls):
        test_api.setup_network()
        test_api.translate_messages(RU_MESSAGES)

    def login(self, who):
        "Return the client of who logged in, in English"
        client = self.client_logged_in(
            '%s.%s@example.com' % (who, self._testMethodName), who.title())
        response = self.call(client, 'PATCH', 'me', {'language': 'en'})
        self.assertEqual(response.status_code, 200, response.get_data())
        return client

    def session(self, who, station, stop_at, energy_wh=15000,
            amount=Decimal('12.34'), state='finished'):
        "Create a session of who at station and return its id"
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            Station = pool.get('ev.station')
            Session = pool.get('ev.session')
            Party = pool.get('party.party')
            company, = Company.search([])
            party, = Party.search([('name', '=', who.title())])
            station, = Station.search([('name', '=', station)])
            with set_company(company):
                session, = Session.create([{
                            'company': company.id,
                            'station': station.id,
                            'connector': station.connectors[0].id,
                            'client': party.id,
                            'start_at': stop_at - dt.timedelta(hours=1),
                            'stop_at': (stop_at if state == 'finished'
                                else None),
                            'energy_wh': energy_wh,
                            'currency': company.currency.id,
                            'amount': amount,
                            'state': state,
                            }])
            transaction.commit()
            return session.id

    def payment(self, who, amount, state):
        "Create a top-up of who in state and return its id"
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            Payment = pool.get('account.payment')
            Journal = pool.get('account.payment.journal')
            Group = pool.get('account.payment.group')
            Party = pool.get('party.party')
            company, = Company.search([])
            journal, = Journal.search([('name', '=', "Manual")])
            party, = Party.search([('name', '=', who.title())])
            with set_company(company):
                # Processed payments are in a group.
                group = Group(company=company, journal=journal,
                    kind='receivable')
                group.save()
                payment, = Payment.create([{
                            'company': company.id,
                            'journal': journal.id,
                            'kind': 'receivable',
                            'party': party.id,
                            'amount': amount,
                            'date': utcnow().date(),
                            'ev_kind': 'topup',
                            'state': state,
                            'group': group.id,
                            }])
            transaction.commit()
            return payment.id

    def fault(self, station, status='faulted', at=None):
        "Set the status of the first connector of station"
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Station = pool.get('ev.station')
            Connector = pool.get('ev.connector')
            station, = Station.search([('name', '=', station)])
            Connector.set_status(list(station.connectors), status, at=at)
            transaction.commit()

    def feed(self, client, **query):
        response = client.get(self.url('notifications'), query_string=query)
        self.assertEqual(response.status_code, 200, response.get_data())
        return response.get_json()

    def test_feed_isolation(self):
        "A client's notifications are its own, newest first, translated"
        alice = self.login('alice')
        bob = self.login('bob')
        now = utcnow()
        finished = self.session('alice', "Moscow Centre",
            now - dt.timedelta(hours=2))
        # Too old to notify.
        self.session('alice', "Moscow Centre", now - dt.timedelta(days=40))
        nevsky = self.session('alice', "Nevsky", now - dt.timedelta(days=3))
        topup = self.payment('alice', Decimal('500'), 'succeeded')
        failed = self.payment('alice', Decimal('100'), 'failed')
        self.payment('alice', Decimal('300'), 'processing')
        bob_session = self.session('bob', "Kazan Kremlin",
            now - dt.timedelta(days=1), amount=Decimal('56.78'))
        bob_topup = self.payment('bob', Decimal('777'), 'succeeded')
        self.fault("Nevsky", at=now - dt.timedelta(hours=1))

        result = self.feed(alice)
        items = result['notifications']
        ids = [i['id'] for i in items]
        self.assertCountEqual(ids, [
                'session_finished-%s' % finished,
                'session_finished-%s' % nevsky,
                'payment_succeeded-%s' % topup,
                'payment_failed-%s' % failed,
                [i for i in ids if i.startswith('station_fault-')][0],
                ])
        self.assertEqual([i['at'] for i in items],
            sorted([i['at'] for i in items], reverse=True))
        self.assertEqual(result['unread'], 5)
        self.assertTrue(all(i['unread'] for i in items))
        by_kind = {i['kind']: i for i in items}
        session = next(i for i in items
            if i['id'] == 'session_finished-%s' % finished)
        self.assertEqual(session['title'], "Charging finished")
        self.assertIn("Moscow Centre", session['body'])
        self.assertIn("15.0 kWh", session['body'])
        self.assertIn("12.34", session['body'])
        self.assertEqual(session['url'], '#/history')
        self.assertEqual(session['at'],
            iso(now - dt.timedelta(hours=2)))
        fault = by_kind['station_fault']
        self.assertEqual(fault['title'], "Station out of order")
        self.assertEqual(fault['body'],
            "Nevsky: connector 1 is out of order.")
        self.assertRegex(fault['url'], r'^#/station/\d+$')
        self.assertIn("500.00", by_kind['payment_succeeded']['body'])
        self.assertEqual(by_kind['payment_succeeded']['title'],
            "Payment succeeded")
        self.assertIn("100.00", by_kind['payment_failed']['body'])
        # Amounts with their cents: a bare number could be part of an id or
        # of a timestamp.
        text = str(result)
        for other in ['56.78', '777.00', 'Kazan']:
            self.assertNotIn(other, text)
        self.assertNotIn('payment_succeeded-%s' % bob_topup, ids)
        self.assertNotIn('session_finished-%s' % bob_session, ids)

        # Bob sees his own: a session at an offline station, its fault and
        # his top-up; none of Alice's.
        result = self.feed(bob)
        self.assertCountEqual([i['kind'] for i in result['notifications']],
            ['session_finished', 'station_fault', 'payment_succeeded'])
        self.assertIn('session_finished-%s' % bob_session,
            [i['id'] for i in result['notifications']])
        fault, = [i for i in result['notifications']
            if i['kind'] == 'station_fault']
        self.assertEqual(fault['body'], "Kazan Kremlin is offline.")
        text = str(result)
        for other in ['Nevsky', 'Moscow', '12.34', '500.00']:
            self.assertNotIn(other, text)

        # The same ids on the next poll: the app shows each once.
        self.assertEqual([i['id'] for i in self.feed(alice)['notifications']],
            ids)
        # A fault that ends leaves the feed.
        self.fault("Nevsky", status='available')
        self.assertNotIn('station_fault',
            [i['kind'] for i in self.feed(alice)['notifications']])

        # In the client's language.
        self.call(alice, 'PATCH', 'me', {'language': 'ru'})
        items = self.feed(alice)['notifications']
        session = next(i for i in items
            if i['id'] == 'session_finished-%s' % finished)
        self.assertEqual(session['title'], "Зарядка завершена")
        self.assertIn("кВт·ч", session['body'])

    def test_seen_and_since(self):
        "Seen marks as read up to a time; since gives the newer ones"
        client = self.login('carol')
        now = utcnow()
        older = self.session('carol', "Moscow Centre",
            now - dt.timedelta(days=2))
        newer = self.session('carol', "Moscow Centre",
            now - dt.timedelta(hours=1))
        result = self.feed(client)
        self.assertEqual(result['unread'], 2)
        self.assertEqual([i['id'] for i in result['notifications']], [
                'session_finished-%s' % newer,
                'session_finished-%s' % older])

        since = result['notifications'][1]['at']
        result = self.feed(client, since=since)
        self.assertEqual([i['id'] for i in result['notifications']],
            ['session_finished-%s' % newer])
        # The count is of the whole feed.
        self.assertEqual(result['unread'], 2)
        self.assertEqual(self.feed(client, since=iso(now))['notifications'],
            [])
        self.assertError(client.get(self.url('notifications'),
                query_string={'since': 'yesterday'}), 400,
            'msg_api_value_invalid')

        # Read up to the older one: the newer stays unread.
        response = self.call(client, 'POST', 'notifications/seen',
            {'until': since})
        self.assertEqual(response.status_code, 200, response.get_data())
        self.assertEqual(response.get_json()['unread'], 1)
        result = self.feed(client)
        self.assertEqual(result['unread'], 1)
        self.assertEqual([i['unread'] for i in result['notifications']],
            [True, False])
        # All read; an older time later changes nothing.
        until = result['notifications'][0]['at']
        self.call(client, 'POST', 'notifications/seen', {'until': until})
        self.assertEqual(self.feed(client)['unread'], 0)
        self.call(client, 'POST', 'notifications/seen', {'until': since})
        self.assertEqual(self.feed(client)['unread'], 0)
        # A new one is unread.
        self.session('carol', "Moscow Centre", now - dt.timedelta(minutes=5))
        self.assertEqual(self.feed(client)['unread'], 1)
        # Without until: up to now.
        response = self.call(client, 'POST', 'notifications/seen', {})
        self.assertEqual(response.get_json()['unread'], 0)

        self.assertError(self.call(client, 'POST', 'notifications/seen',
                {'until': 5}), 400, 'msg_api_value_invalid')
        self.assertError(self.call(client, 'POST', 'notifications/seen',
                {}, csrf=False), 403, 'msg_api_csrf')

    def test_logged_out(self):
        "Without a session, no notifications"
        self.assertError(self.client().get(self.url('notifications')), 401,
            'msg_api_not_logged_in')
        self.assertError(self.call(self.client(), 'POST',
                'notifications/seen', {}), 401, 'msg_api_not_logged_in')

    def test_notify_system_profile(self):
        "The profile keeps whether the device shows the notifications"
        client = self.login('dave')
        self.assertIs(client.get(self.url('me')).get_json()[
                'notify_system'], False)
        response = self.call(client, 'PATCH', 'me', {'notify_system': True})
        self.assertEqual(response.status_code, 200, response.get_data())
        self.assertIs(response.get_json()['notify_system'], True)
        self.assertIs(client.get(self.url('me')).get_json()[
                'notify_system'], True)
        self.assertError(self.call(client, 'PATCH', 'me',
                {'notify_system': 'yes'}), 400, 'msg_api_value_invalid')
