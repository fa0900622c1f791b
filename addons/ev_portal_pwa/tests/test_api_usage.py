# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The usage of a station in the client API: its busy hours by local hour of
the week, its sessions and energy per day, only the window and the station
counted, and nothing about the clients"""
import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from .. import api_usage
from . import test_api
from trytond.modules.ev_portal_pwa import (  # noqa: I
    api_usage as trytond_api_usage)

# A Wednesday: 15:30 in Moscow (UTC+3, no summer time).
NOW = dt.datetime(2026, 11, 25, 12, 30)
CLIENT = "Zoe Secretname"
TAG = 'TAG-SECRET-42'


def moscow(*args):
    "Return the naive UTC datetime of the Moscow wall-clock time"
    return dt.datetime(*args) - dt.timedelta(hours=3)


class UsageTestCase(RouteTestCase):
    "Test the usage statistics of a station"
    module = 'ev_portal_pwa'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        Session = pool.get('ev.session')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        test_api.setup_network()
        company, = Company.search([])
        with set_company(company):
            ccs2, = ConnectorType.search([('code', '=', 'ccs2')])
            partner, = Party.search([('name', '=', "Volt Charging")])
            hub = Station(name="Usage Hub", identity='Usage-Hub',
                partner=partner, timezone='Europe/Moscow',
                latitude=55.75, longitude=37.6)
            hub.connectors = [
                Connector(number=n, evse=n, type=ccs2,
                    max_power=Decimal(50))
                for n in [1, 2]]
            hub.save()
            Station.connect([hub])
            other, = Station.search([('name', '=', "Moscow Centre")])
            client = Party(name=CLIENT, ev_client=True)
            client.save()
            one, two = hub.connectors

            def session(connector, start, stop, energy_wh, state='finished'):
                record = Session(station=connector.station,
                    connector=connector, client=client, id_tag_code=TAG)
                record.save()
                if state == 'failed':
                    Session.fail([record])
                    return
                Session.start([record], at=start)
                if stop:
                    Session.stop([record], at=stop)
                Session.write([record], {'energy_wh': energy_wh})

            # Monday 23 November, 10:00 to 12:00 on one of two connectors.
            session(one, moscow(2026, 11, 23, 10), moscow(2026, 11, 23, 12),
                12000)
            # Wednesday 14 October, 8:00 to 9:00: in the 8 weeks, not in
            # the 30 days.
            session(two, moscow(2026, 10, 14, 8), moscow(2026, 10, 14, 9),
                5000)
            # Monday 28 September: before the 8 weeks.
            session(one, moscow(2026, 9, 28, 10), moscow(2026, 9, 28, 12),
                7000)
            # Still charging since 10:00 today.
            session(two, moscow(2026, 11, 25, 10), None, 3000,
                state='active')
            # Failed: it never charged.
            session(one, moscow(2026, 11, 24, 10), None, 0, state='failed')
            # Another station's session on Monday.
            session(other.connectors[0], moscow(2026, 11, 23, 10),
                moscow(2026, 11, 23, 12), 9000)

    def setUp(self):
        super().setUp()
        for module in {api_usage, trytond_api_usage}:
            patcher = patch.object(module, 'utcnow', return_value=NOW)
            patcher.start()
            self.addCleanup(patcher.stop)

    def url(self, path):
        return '/%s/ev/api/v1/%s' % (DB_NAME, path)

    def station_id(self, name):
        with Transaction().start(DB_NAME, 0, readonly=True):
            Station = Pool().get('ev.station')
            station, = Station.search([('name', '=', name)])
            return station.id

    def usage(self, name):
        response = self.client().get(
            self.url('stations/%s/usage' % self.station_id(name)))
        self.assertEqual(response.status_code, 200, response.get_data())
        return response

    def test_usage(self):
        "The busy hours and the days count only the station's window"
        response = self.usage("Usage Hub")
        self.assertEqual(response.headers['Cache-Control'],
            'public, max-age=300')
        # A shared cache keeps it: no client's cookie in it.
        self.assertNotIn('Set-Cookie', response.headers)
        result = response.get_json()
        self.assertEqual(result['station'], self.station_id("Usage Hub"))
        self.assertEqual(result['weeks'], 8)
        self.assertEqual(result['timezone'], 'Europe/Moscow')
        busy = result['busy']
        self.assertEqual(len(busy), 7)
        self.assertTrue(all(len(day) == 24 for day in busy))
        # One connector of two, one Monday of 8: 0.5 / 8.
        share = 0.5 / 8
        self.assertEqual(busy[0][10], share)
        self.assertEqual(busy[0][11], share)
        self.assertEqual(busy[0][9], 0)
        self.assertEqual(busy[0][12], 0)
        self.assertEqual(busy[2][8], share)
        # The running session counts until the hour in progress.
        self.assertEqual(busy[2][10:15], [share] * 5)
        self.assertEqual(busy[2][15], 0)
        # The failed session on Tuesday counts for nothing.
        self.assertEqual(sum(busy[1]), 0)
        self.assertEqual(sum(map(sum, busy)), share * 8)

        daily = result['daily']
        self.assertEqual(len(daily), 30)
        self.assertEqual(daily[0]['date'], '2026-10-27')
        self.assertEqual(daily[-1], {
                'date': '2026-11-25', 'sessions': 1, 'energy_wh': 3000})
        self.assertEqual(daily[-3], {
                'date': '2026-11-23', 'sessions': 1, 'energy_wh': 12000})
        self.assertEqual(sum(d['sessions'] for d in daily), 2)
        self.assertEqual(result['sessions_30d'], 2)
        self.assertEqual(result['energy_wh_30d'], 15000)

    def test_other_station(self):
        "Another station has its own sessions only"
        result = self.usage("Moscow Centre").get_json()
        # One connector, one Monday of 8.
        self.assertEqual(result['busy'][0][10], 1 / 8)
        self.assertEqual(result['sessions_30d'], 1)
        self.assertEqual(result['energy_wh_30d'], 9000)

    def test_no_client_data(self):
        "The usage holds aggregates only, for anyone, logged in or not"
        response = self.usage("Usage Hub")
        result = response.get_json()
        self.assertEqual(set(result), {'station', 'weeks', 'timezone',
                'busy', 'sessions_30d', 'energy_wh_30d', 'daily'})
        for day in result['daily']:
            self.assertEqual(set(day), {'date', 'sessions', 'energy_wh'})
        text = response.get_data(as_text=True)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Session = Pool().get('ev.session')
            sessions = Session.search([])
            secrets = {CLIENT, TAG, 'Secretname'} | {
                s.number for s in sessions if s.number}
            self.assertTrue(sessions)
        for secret in secrets:
            self.assertNotIn(secret, text)
        self.assertNotIn('client', text)
        self.assertNotIn('id_tag', text)

    def test_not_found(self):
        "An unknown or unpublished station is a 404"
        client = self.client()
        for station in [999999, self.station_id("Depot")]:
            response = client.get(self.url('stations/%s/usage' % station))
            self.assertEqual(response.status_code, 404, response.get_data())
            self.assertEqual(response.get_json()['error']['code'],
                'msg_station_not_found')
            self.assertEqual(response.headers['Cache-Control'], 'no-store')
