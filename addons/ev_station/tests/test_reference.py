# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Unit tests of the reference data: power classes, the charger catalogue,
regions and the stop and refusal reasons"""
import unittest
from contextlib import contextmanager
from decimal import Decimal

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.ev_station.session import STOP_REASONS
from trytond.modules.ev_station.tests.test_gateway import (
    T0, GatewayMixin, iso)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction


class ReferenceTestCase(GatewayMixin, unittest.TestCase):
    "Test the reference data"

    def power_station(self, identity, connectors):
        "Return a station with connectors [(type code, kW)]"
        pool = Pool()
        Party = pool.get('party.party')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        types = {t.code: t for t in ConnectorType.search([])}
        partner = Party(name="Partner", ev_partner=True)
        partner.save()
        station = Station(name=identity, identity=identity, partner=partner)
        station.connectors = [
            Connector(number=n, evse=n, type=types[code],
                max_power=Decimal(power))
            for n, (code, power) in enumerate(connectors, 1)]
        station.save()
        return station

    def power_class(self, code):
        PowerClass = Pool().get('ev.power.class')
        class_, = PowerClass.search([('code', '=', code)])
        return class_

    def catalogue(self, vendor="ABB", model="Terra 54", **values):
        pool = Pool()
        Vendor = pool.get('ev.charger.vendor')
        Model = pool.get('ev.charger.model')
        vendors = Vendor.search([('name', '=', vendor)])
        if vendors:
            vendor, = vendors
        else:
            vendor = Vendor(name=vendor)
            vendor.save()
        model = Model(vendor=vendor, name=model, **values)
        model.save()
        return model

    @contextmanager
    def as_group(self, group):
        "Run the block as a new user of the ev_partner group"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user = User(login='user-%s' % group, name=group, groups=[
                ModelData.get_id('ev_partner', 'group_ev_%s' % group)])
        user.save()
        transaction = Transaction()
        with transaction.set_user(user.id), \
                transaction.set_context(_check_access=True):
            yield

    @with_transaction()
    def test_connector_power_class(self):
        "The class of a connector follows from its current and power"
        pool = Pool()
        Connector = pool.get('ev.connector')
        company = create_company()
        with set_company(company):
            station = self.power_station('CP-1', [
                    ('type2', '11'), ('type2', '22'), ('ccs2', '50'),
                    ('ccs2', '150'), ('ccs2', '300'), ('ccs2', '25'),
                    ('type2', '43')])
            classes = [c.power_class.code if c.power_class else None
                for c in Connector.browse(station.connectors)]
            self.assertEqual(classes, [
                    'ac_normal', 'ac_normal', 'dc_fast', 'dc_fast',
                    'dc_ultra', 'dc_slow', 'ac_fast'])

            # The searcher agrees with the getter.
            for code in ['ac_normal', 'dc_fast', 'dc_ultra']:
                with self.subTest(code=code):
                    found = Connector.search([
                            ('power_class', '=',
                                self.power_class(code).id)])
                    self.assertEqual(
                        {c.power_class.code for c in found}, {code})
            self.assertEqual(len(Connector.search([
                            ('power_class.code', 'in',
                                ['ac_normal', 'ac_fast'])])), 3)

            # A connector outside every class has none.
            PowerClass = pool.get('ev.power.class')
            PowerClass.write([self.power_class('dc_slow')],
                {'active': False})
            connector = Connector(station.connectors[5].id)
            self.assertIsNone(connector.power_class)
            self.assertEqual(
                Connector.search([('power_class', '=', None)]),
                [connector])

    @with_transaction()
    def test_station_search_power_class(self):
        "Staff filter the stations by power class"
        pool = Pool()
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            ac = self.power_station('AC-1', [('type2', '22')])
            fast = self.power_station('DC-1', [
                    ('type2', '22'), ('ccs2', '50')])
            ultra = self.power_station('DC-2', [
                    ('ccs2', '300'), ('chademo', '50')])
            empty = self.power_station('NONE', [])

            self.assertEqual(
                [Station(s.id).power_class.code if Station(s.id).power_class
                    else None for s in [ac, fast, ultra, empty]],
                ['ac_normal', 'dc_fast', 'dc_ultra', None])

            def search(*clause):
                return set(Station.search([clause]))
            self.assertEqual(search(
                    'power_class', '=', self.power_class('dc_ultra').id),
                {ultra})
            # A station is found by every class of its connectors.
            self.assertEqual(search(
                    'power_class', '=', self.power_class('ac_normal').id),
                {ac, fast})
            self.assertEqual(search(
                    'power_class', '=', self.power_class('dc_fast').id),
                {fast, ultra})
            self.assertEqual(search('power_class', 'ilike', '%ultra%'),
                {ultra})
            self.assertEqual(search('power_class.code', '=', 'ac_fast'),
                set())
            self.assertEqual(search('power_class', '=', None), {empty})
            self.assertEqual(search('power_class', '!=', None),
                {ac, fast, ultra})

    @with_transaction()
    def test_power_class_overlap(self):
        "Two power classes may not claim the same connector"
        PowerClass = Pool().get('ev.power.class')
        with self.assertRaises(ValidationError) as cm:
            PowerClass.create([{
                        'code': 'dc_hpc', 'name': "DC HPC",
                        'current': 'dc', 'min_power': Decimal('100'),
                        }])
        self.assertIn("DC fast 50-150 kW", cm.exception.message)
        # Another current does not overlap.
        PowerClass.write([self.power_class('ac_fast')],
            {'max_power': Decimal('43')})
        PowerClass.create([{
                    'code': 'ac_mega', 'name': "AC over 43 kW",
                    'current': 'ac', 'min_power': Decimal('43.1'),
                    }])

    @with_transaction()
    def test_boot_matches_model(self):
        "The charger model is found from the strings reported at boot"
        pool = Pool()
        Station = pool.get('ev.station')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            terra = self.catalogue("ABB", "Terra 54",
                quirks="Sends MeterValues without a context.")
            self.catalogue("ABB", "Terra 184")
            station = self.station()
            self.connect(station)

            # The case and the spaces around do not matter.
            Gateway.boot('CP-001', 'b1', iso(T0), {
                    'vendor': 'abb', 'model': ' TERRA 54 '})
            station = Station(station.id)
            self.assertEqual(station.charger_model, terra)
            self.assertEqual(station.charger_quirks,
                "Sends MeterValues without a context.")

            # No match keeps what the operator or a former boot set.
            Gateway.boot('CP-001', 'b2', iso(T0), {
                    'vendor': 'ABB', 'model': 'Terra 99'})
            station = Station(station.id)
            self.assertEqual(station.model, 'Terra 99')
            self.assertEqual(station.charger_model, terra)

            other = self.station('CP-002')
            self.connect(other)
            for info in [
                    {'vendor': 'Siemens', 'model': 'Terra 54'},
                    {'vendor': 'ABB', 'model': 'Terra%'},
                    {'vendor': 'A_B', 'model': 'Terra 54'},
                    {'model': 'Terra 54'},
                    ]:
                with self.subTest(info=info):
                    Gateway.boot('CP-002', None, iso(T0), info)
                    self.assertIsNone(Station(other.id).charger_model)

            # A model withdrawn from the catalogue is not matched.
            terra.active = False
            terra.save()
            Gateway.boot('CP-002', None, iso(T0), {
                    'vendor': 'ABB', 'model': 'Terra 54'})
            self.assertIsNone(Station(other.id).charger_model)

    @with_transaction()
    def test_default_configuration(self):
        "The default configuration holds one valid key=value per line"
        Model = Pool().get('ev.charger.model')
        model = self.catalogue(default_configuration=(
                "# Meter values every minute\n"
                "MeterValueSampleInterval=60\n"
                "\n"
                "HeartbeatInterval = 300\n"
                "MeterValuesSampledData=Energy.Active.Import.Register,"
                "Power.Active.Import\n"))
        self.assertEqual(model.configuration, {
                'MeterValueSampleInterval': '60',
                'HeartbeatInterval': '300',
                'MeterValuesSampledData': (
                    'Energy.Active.Import.Register,Power.Active.Import'),
                })
        for text, number in [
                ("HeartbeatInterval=300\nno equal sign", 2),
                ("Heartbeat Interval=300", 1),
                ("=300", 1),
                ("HeartbeatInterval=300\nheartbeatinterval=60", 2),
                ("AuthorizationKey=" + "x" * 501, 1),
                ]:
            with self.subTest(text=text):
                with self.assertRaises(ValidationError) as cm:
                    Model.write([model], {'default_configuration': text})
                message = cm.exception.message
                self.assertIn("Line %s of the default configuration of "
                    "\"ABB Terra 54\" is not valid" % number, message)
        with self.assertRaises(ValidationError):
            self.catalogue(model="Terra 184",
                default_configuration="HeartbeatInterval")

    @with_transaction()
    def test_stop_reason_name(self):
        "A session shows the name of its stop reason in the user's language"
        pool = Pool()
        Session = pool.get('ev.session')
        Reason = pool.get('ev.reason')
        Lang = pool.get('ir.lang')
        # The module ships one stop reason per key of the selection.
        self.assertEqual(
            {r.code for r in Reason.search([('kind', '=', 'stop')])},
            {k for k, _ in STOP_REASONS if k})
        self.assertEqual(
            {r.code for r in Reason.search([('kind', '=', 'refusal')])},
            {'blocked', 'expired', 'invalid', 'concurrent_tx', 'unknown',
                'inactive', 'disconnected', 'password'})

        company = create_company()
        with set_company(company):
            station = self.station()
            session = Session(station=station,
                connector=station.connectors[0])
            session.save()
            Session.start([session], at=T0, meter_start=0)
            Session.stop([session], at=T0, meter_stop=10, reason='local')
            self.assertEqual(
                Session(session.id).stop_reason_name,
                "Stopped at the Charger")

            ru, = Lang.search([('code', '=', 'ru')])
            ru.translatable = True
            ru.save()
            Lang.load_translations([ru])
            reason, = Reason.search([
                    ('kind', '=', 'stop'), ('code', '=', 'local')])
            with Transaction().set_context(language='ru'):
                Reason.write([reason], {'name': "Остановлено кнопкой"})
                self.assertEqual(
                    Session(session.id).stop_reason_name,
                    "Остановлено кнопкой")
            with Transaction().set_context(language='en'):
                self.assertEqual(
                    Session(session.id).stop_reason_name,
                    "Stopped at the Charger")

            # Without its reason, the label of the selection is shown.
            Reason.write([reason], {'active': False})
            with Transaction().set_context(language='en'):
                self.assertEqual(
                    Session(session.id).stop_reason_name,
                    "Stopped at the Charger")
            with Transaction().set_context(language='ru'):
                self.assertEqual(
                    Session(session.id).stop_reason_name,
                    "Остановлено на станции")

            Session.write([session], {'stop_reason': None})
            self.assertIsNone(Session(session.id).stop_reason_name)

    @with_transaction()
    def test_region(self):
        "Stations are found by their region and its sub-regions"
        pool = Pool()
        Region = pool.get('ev.region')
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            russia, = Region.create([{'name': "Russia", 'code': 'RU'}])
            moscow, = Region.create([{
                        'name': "Moscow", 'code': 'RU-MOW',
                        'parent': russia.id}])
            self.assertEqual(moscow.rec_name, "Russia / Moscow")
            station = self.station(region=moscow)
            self.station('CP-002')
            self.assertEqual(Station.search([
                        ('region', 'child_of', [russia.id], 'parent')]),
                [station])
            with self.assertRaises(ValidationError):
                Region.write([russia], {'parent': moscow.id})

    @with_transaction()
    def test_technician_reads_catalogue(self):
        "Partner technicians read the reference data and change none of it"
        pool = Pool()
        Vendor = pool.get('ev.charger.vendor')
        Model = pool.get('ev.charger.model')
        PowerClass = pool.get('ev.power.class')
        Reason = pool.get('ev.reason')
        Region = pool.get('ev.region')
        model = self.catalogue(quirks="Reboots at midnight.")
        region, = Region.create([{'name': "Moscow"}])
        with self.as_group('partner_technician'):
            self.assertEqual(Model(model.id).quirks, "Reboots at midnight.")
            self.assertEqual(len(Vendor.search([])), 1)
            self.assertEqual(len(PowerClass.search([])), 5)
            self.assertTrue(Reason.search([]))
            self.assertEqual(Region.search([]), [region])
            for call in [
                    lambda: Model.write([model], {'quirks': "None."}),
                    lambda: Vendor.create([{'name': "Other"}]),
                    lambda: PowerClass.write(PowerClass.search([]),
                        {'name': "X"}),
                    lambda: Reason.delete(Reason.search([])),
                    lambda: Region.write([region], {'name': "X"}),
                    ]:
                with self.subTest(call=call):
                    with self.assertRaises(AccessError):
                        call()
        with self.as_group('operator'):
            Model.write([Model(model.id)], {'quirks': "None known."})
        self.assertEqual(Model(model.id).quirks, "None known.")
        with self.as_group('client'):
            with self.assertRaises(AccessError):
                Model.search([])
