# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Load the demo network into a database where the ev_* modules are active

    python demo/load_demo.py -c trytond.conf -d demo

Three partners, a dozen stations in Moscow and Saint Petersburg, clients with
their ID tags, finished and running charging sessions, and one back-office
user per role. The users' passwords are generated here and written, with the
logins, to var/demo-logins.txt; the charger passwords of the stations to
var/demo-chargers.json (for the charge point simulator) and the password of
the OCPP daemon's technical user to var/demo-ocpp-password. None is ever
committed. Running it on a database that already has the demo does nothing.
"""
import argparse
import datetime as dt
import json
import os
import random
import secrets
from decimal import Decimal

from books import setup_books

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A fixed seed: every demo database tells the same story.
RNG = random.Random(20261127)

PARTNERS = [
    {
        'name': 'ООО «ВольтЗаряд»',
        'city': 'Москва',
        'street': 'ул. Большая Якиманка, 24',
        'postal_code': '119180',
        'email': 'info@voltzaryad.example',
        'phone': '+7 495 000-00-01',
        'inn': '7707083893', 'kpp': '770701001', 'ogrn': '1027700132195',
        'bank': ('ПАО Сбербанк', '044525225', '40702810938000000001',
            '30101810400000000225'),
        'contact': "Ирина Соколова",
        'commission': '0.1500',
        'staff': [
            ('voltzaryad', "Ирина Соколова", 'manager'),
            ('voltzaryad-tech', "Олег Зайцев", 'technician'),
            ('voltzaryad-buh', "Светлана Белова", 'accountant'),
            ],
        },
    {
        'name': 'АО «Невская энергия»',
        'city': 'Санкт-Петербург',
        'street': 'Невский пр., 28',
        'postal_code': '191186',
        'email': 'office@neva-energy.example',
        'phone': '+7 812 000-00-02',
        'inn': '7842155505', 'kpp': '784201001', 'ogrn': '1187847121010',
        'bank': ('АО «Банк Санкт-Петербург»', '044030790',
            '40702810390000000002', '30101810900000000790'),
        'contact': "Павел Кузнецов",
        'commission': '0.1200',
        'staff': [
            ('nevaenergy-mgr', "Анна Орлова", 'manager'),
            ('nevaenergy', "Павел Кузнецов", 'technician'),
            ],
        },
    {
        'name': 'ИП Орлов Дмитрий Сергеевич «ЭкоДрайв»',
        'city': 'Москва',
        'street': 'Ленинский пр., 90',
        'postal_code': '119313',
        'email': 'orlov@ecodrive.example',
        'phone': '+7 916 000-00-03',
        'inn': '500100732259', 'kpp': None, 'ogrn': '304500116000157',
        'bank': ('АО «Тинькофф Банк»', '044525974', '40802810100000000003',
            '30101810145250000974'),
        'contact': "Дмитрий Орлов",
        'commission': '0.1000',
        'staff': [
            ('ecodrive', "Дмитрий Орлов", 'accountant'),
            ],
        },
    ]

# Companies that applied through the public form and wait for the operator.
APPLICATIONS = [
    {
        'name': 'ООО «ЗарядПлюс»',
        'inn': '7736207543', 'ogrn': '1027700229193',
        'email': 'hello@zaryadplus.example', 'phone': '+7 495 000-00-04',
        'contact': "Марина Егорова", 'state': 'application',
        },
    {
        'name': 'ООО «Сибирский ток»',
        'inn': '5406011098', 'ogrn': '1025402459334',
        'email': 'info@sibtok.example', 'phone': '+7 383 000-00-05',
        'contact': "Георгий Васильев", 'state': 'review',
        },
    ]

# (partner index, identity, name, street, city, postal code, lat, lon,
#  vendor, model, connectors [(type code, kW)])
STATIONS = [
    (0, 'VZ-MSK-001', "Тверская", 'ул. Тверская, 22', 'Москва', '125009',
        55.7687, 37.5987, 'ABB', 'Terra 54', [('ccs2', '50'),
            ('chademo', '50'), ('type2', '22')]),
    (0, 'VZ-MSK-002', "Москва-Сити", 'Пресненская наб., 2', 'Москва',
        '123317', 55.7495, 37.5396, 'ABB', 'Terra 184',
        [('ccs2', '180'), ('ccs2', '180')]),
    (0, 'VZ-MSK-003', "ВДНХ", 'пр. Мира, 119с536', 'Москва', '129223',
        55.8298, 37.6330, 'Siemens', 'Sicharge D', [('ccs2', '160'),
            ('chademo', '50'), ('type2', '22')]),
    (0, 'VZ-MSK-004', "Сокольники", 'ул. Сокольнический Вал, 1с1',
        'Москва', '107113', 55.7930, 37.6764, 'Alfen', 'Eve Double Pro',
        [('type2', '22'), ('type2', '22')]),
    (1, 'NE-SPB-001', "Невский проспект", 'Невский пр., 114',
        'Санкт-Петербург', '191025', 59.9311, 30.3609, 'Kempower', 'S-Series',
        [('ccs2', '120'), ('ccs2', '120'), ('type2', '22')]),
    (1, 'NE-SPB-002', "Пулково", 'Пулковское ш., 41', 'Санкт-Петербург',
        '196140', 59.8003, 30.2625, 'Kempower', 'C-Series',
        [('ccs2', '200'), ('chademo', '50'), ('gbt_dc', '120'),
            ('type2', '22')]),
    (1, 'NE-SPB-003', "Петроградская", 'Каменноостровский пр., 42',
        'Санкт-Петербург', '197022', 59.9664, 30.3114, 'Wallbox',
        'Copper SB', [('type2', '22'), ('type2', '22')]),
    (1, 'NE-SPB-004', "Васильевский остров", 'Средний пр. В.О., 36',
        'Санкт-Петербург', '199004', 59.9418, 30.2785, 'Delta',
        'DC Wallbox 25', [('ccs2', '25'), ('type2', '11')]),
    (1, 'NE-SPB-005', "Крестовский остров", 'Футбольная аллея, 1',
        'Санкт-Петербург', '197110', 59.9727, 30.2200, 'Tritium', 'PKM150',
        [('ccs2', '150'), ('chademo', '50')]),
    (2, 'ED-MSK-001', "Ленинский проспект", 'Ленинский пр., 90', 'Москва',
        '119313', 55.6793, 37.5443, 'Autel', 'MaxiCharger DC Fast',
        [('ccs2', '120'), ('gbt_dc', '120'), ('type2', '22')]),
    (2, 'ED-MSK-002', "Кутузовский проспект", 'Кутузовский пр., 48',
        'Москва', '121170', 55.7400, 37.5268, 'Autel', 'MaxiCharger AC',
        [('type2', '22'), ('type2', '22')]),
    (2, 'ED-MSK-003', "Парк Горького", 'ул. Крымский Вал, 9', 'Москва',
        '119049', 55.7298, 37.6011, 'Alpitronic', 'Hypercharger HYC300',
        [('ccs2', '300'), ('ccs2', '300'), ('chademo', '50'),
            ('type2', '22')]),
    ]

# The catalogue of the stations' chargers: vendor website, and per model
# the OCPP versions and, for a few, known quirks and a default
# configuration. Power, connector count and types come from STATIONS.
VENDORS = {
    'ABB': 'https://new.abb.com/ev-charging',
    'Siemens': 'https://www.siemens.com/emobility',
    'Alfen': 'https://alfen.com',
    'Kempower': 'https://kempower.com',
    'Wallbox': 'https://wallbox.com',
    'Delta': 'https://www.deltaww.com',
    'Tritium': 'https://tritiumcharging.com',
    'Autel': 'https://autelenergy.com',
    'Alpitronic': 'https://www.alpitronic.it',
    }
CHARGER_MODELS = {
    ('ABB', 'Terra 54'): (['1.6'],
        "A soft reset takes about three minutes, during which the charger "
        "stays offline. The AC outlet cannot charge while the CHAdeMO "
        "outlet does.", "HeartbeatInterval=300\nMeterValueSampleInterval=60"),
    ('ABB', 'Terra 184'): (['1.6', '2.0.1'], None,
        "HeartbeatInterval=300\nMeterValueSampleInterval=30\n"
        "MeterValuesSampledData=Energy.Active.Import.Register,"
        "Power.Active.Import,SoC"),
    ('Siemens', 'Sicharge D'): (['1.6'],
        "Shares its power between the outlets: a second vehicle halves "
        "the power of the first.", None),
    ('Alfen', 'Eve Double Pro'): (['1.6'],
        "Without network it lets any card charge unless "
        "LocalAuthorizeOffline is false.",
        "# Refuse unknown cards while offline\n"
        "LocalAuthorizeOffline=false\nConnectionTimeOut=120"),
    ('Kempower', 'S-Series'): (['1.6', '2.0.1'], None, None),
    ('Kempower', 'C-Series'): (['1.6', '2.0.1'],
        "Dynamic power sharing between the satellites: the connector "
        "power is the cabinet's maximum, not a guarantee.", None),
    ('Wallbox', 'Copper SB'): (['1.6'], None,
        "HeartbeatInterval=600\nMeterValueSampleInterval=300"),
    ('Delta', 'DC Wallbox 25'): (['1.6'], None, None),
    ('Tritium', 'PKM150'): (['1.6', '2.0.1'],
        "Sends StopTransaction with reason Other when the vehicle ends "
        "the charge.", None),
    ('Autel', 'MaxiCharger DC Fast'): (['1.6'], None, None),
    ('Autel', 'MaxiCharger AC'): (['1.6'], None,
        "HeartbeatInterval=600"),
    ('Alpitronic', 'Hypercharger HYC300'): (['1.6', '2.0.1'], None,
        "HeartbeatInterval=300\nMeterValueSampleInterval=15"),
    }

# The regions of the stations' cities.
REGIONS = [
    ('Москва', 'RU-MOW'),
    ('Санкт-Петербург', 'RU-SPE'),
    ]

CLIENTS = [
    ("Алексей Смирнов", 'a.smirnov@mail.example', [
            ('04A1B2C3D4E5F6', 'rfid', 'accepted', None)]),
    ("Мария Иванова", 'm.ivanova@mail.example', [
            ('04B7C8D9E0F1A2', 'rfid', 'accepted', None)]),
    ("Сергей Петров", 's.petrov@mail.example', [
            ('04C3D4E5F6A7B8', 'rfid', 'blocked', None)]),
    ("Елена Волкова", 'e.volkova@mail.example', [
            ('04D9E0F1A2B3C4', 'rfid', 'accepted', -30)]),
    ("Таксопарк «Городской»", 'fleet@gorod-taxi.example', [
            ('FLEET-GOROD', 'rfid', 'accepted', None),
            ('04E5F6A7B8C9D0', 'rfid', 'accepted', None),
            ('04F1A2B3C4D5E6', 'rfid', 'accepted', None)]),
    ("Николай Фёдоров", 'n.fedorov@mail.example', []),
    ]

BACK_OFFICE = [
    ('operator', "Ольга Морозова", 'operator'),
    ('finance', "Андрей Лебедев", 'finance'),
    ]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', default='trytond.conf')
    parser.add_argument('-d', '--database', default='demo')
    parser.add_argument('--output', default=os.path.join(ROOT, 'var'),
        help="folder for demo-logins.txt and demo-chargers.json")
    parser.add_argument('--now', help="UTC time the demo is built around "
        "(ISO format); default: now")
    return parser.parse_args()


def main():
    args = parse_args()
    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    now = (dt.datetime.fromisoformat(args.now) if args.now
        else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    now = now.replace(second=0, microsecond=0)
    Pool(args.database).init()
    # Like trytond's dispatcher: a strict sequence asks for its record to be
    # locked from the start of the transaction, which then starts again.
    extras = {}
    while True:
        with Transaction().start(args.database, 0, context={
                    'language': 'en', 'active_test': False},
                **extras) as transaction:
            demo = Demo(Pool(), now)
            if demo.exists():
                print("demo: the demo data is already loaded")
                return
            try:
                logins = demo.load()
                ocpp_password = demo.set_ocpp_password()
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
        break
    write_outputs(args.output, logins, demo.charger_passwords, ocpp_password)


class Demo:

    def __init__(self, pool, now):
        self.pool = pool
        self.now = now
        self.charger_passwords = {}

    def exists(self):
        Company = self.pool.get('company.company')
        return bool(Company.search([]))

    def load(self):
        from trytond.transaction import Transaction
        self.set_languages()
        self.company = self.create_company()
        with Transaction().set_context(company=self.company.id,
                companies=[self.company.id]):
            logins = {}
            self.vat = setup_books(self.company, self.now.date())
            partners = self.create_partners()
            logins.update(self.create_users(partners))
            self.clients = self.create_clients()
            logins.update(self.create_web_users())
            self.stations = self.create_stations(partners)
            self.create_tariffs()
            self.create_offers()
            self.create_topups()
            self.create_sessions()
            self.create_settlements()
            # After the history's invoices (last month's are made by the
            # settlements): a strict sequence numbers invoices in the order
            # of their dates.
            self.invoice_subscriptions()
            self.create_events()
            self.create_messages()
        return logins

    def set_ocpp_password(self):
        "Give the OCPP daemon's technical user a password; return it"
        User = self.pool.get('res.user')
        users = User.search([('login', '=', 'ocpp')])
        if not users:
            return None
        password = secrets.token_urlsafe(24)
        # Its company: a charger registered as pending belongs to it.
        User.write(users, {
                'password': password,
                'companies': [('add', [self.company.id])],
                'company': self.company.id,
                })
        return password

    def set_languages(self):
        pool = self.pool
        Lang = pool.get('ir.lang')
        Configuration = pool.get('ir.configuration')
        russian, = Lang.search([('code', '=', 'ru')])
        # Tryton ships Russian with a decimal point for money: 14 408,70 ₽
        # is how Russian readers write it, like the other numbers.
        if russian.mon_decimal_point != ',':
            Lang.write([russian], {'mon_decimal_point': ','})
            russian = Lang(russian.id)
        if not russian.translatable:
            Lang.write([russian], {'translatable': True})
            Lang.load_translations([russian])
        # The platform's default language: the login page, new users and
        # the e-mails of parties without a language.
        config = Configuration(1)
        config.language = 'ru'
        config.save()
        self.russian = russian

    def create_company(self):
        pool = self.pool
        Currency = pool.get('currency.currency')
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        Country = pool.get('country.country')

        self.russia = Country(name="Россия", code='RU', code3='RUS',
            code_numeric='643')
        self.russia.save()
        rub, = Currency.search([('code', '=', 'RUB')]) or [None]
        if not rub:
            rub = Currency(name="Российский рубль", code='RUB', symbol='₽',
                numeric_code='643', rounding=Decimal('0.01'), digits=2)
            rub.save()
        party = Party(name='ООО «Электрозарядная сеть»', lang=self.russian,
            addresses=[self._address('ул. Новый Арбат, 36', 'Москва',
                    '121205')])
        party.save()
        company = Company(party=party, currency=rub,
            timezone='Europe/Moscow')
        company.save()
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {
                'companies': [('add', [company.id])],
                'company': company.id,
                'language': self.russian.id,
                })
        return company

    def _address(self, street, city, postal_code):
        Address = self.pool.get('party.address')
        return Address(street=street, city=city, postal_code=postal_code,
            country=self.russia)

    def create_partners(self):
        pool = self.pool
        Party = pool.get('party.party')
        Partner = pool.get('ev.partner')
        Agreement = pool.get('ev.partner.agreement')
        parties, partners = [], []
        for data in PARTNERS:
            party = Party(name=data['name'], ev_partner=True,
                lang=self.russian,
                addresses=[self._address(
                        data['street'], data['city'], data['postal_code'])])
            parties.append(party)
        Party.save(parties)
        for party, data in zip(parties, PARTNERS):
            bank, bic, account, correspondent = data['bank']
            partners.append(Partner(party=party, legal_name=data['name'],
                    country=self.russia, inn=data['inn'], kpp=data['kpp'],
                    ogrn=data['ogrn'], bank_name=bank, bank_bic=bic,
                    bank_account=account,
                    bank_correspondent_account=correspondent,
                    legal_address='%s, %s, %s' % (
                        data['postal_code'], data['city'], data['street']),
                    contact_name=data['contact'], contact_email=data['email'],
                    contact_phone=data['phone'], lang=self.russian,
                    applied_at=self.now - dt.timedelta(days=120)))
        Partner.save(partners)
        Partner.review(partners)
        Partner.connect(partners)
        Agreement.save([Agreement(partner=p, number='EV-2026-%03d' % i,
                    start_date=dt.date(self.now.year, 1, 1),
                    commission_rate=Decimal(d['commission']),
                    fee_per_session=Decimal('0'),
                    fee_per_month=Decimal('1000'),
                    settlement_period='month')
                for i, (p, d) in enumerate(zip(partners, PARTNERS), 1)])
        applications = [Partner(legal_name=d['name'], country=self.russia,
                inn=d['inn'], ogrn=d['ogrn'], contact_name=d['contact'],
                contact_email=d['email'], contact_phone=d['phone'],
                lang=self.russian, origin='web',
                applied_at=self.now - dt.timedelta(days=2))
            for d in APPLICATIONS]
        Partner.save(applications)
        Partner.review([p for p, d in zip(applications, APPLICATIONS)
                if d['state'] == 'review'])
        self.partners = partners
        return parties

    def _user(self, login, name, role_xml_id, partner=None):
        pool = self.pool
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        password = secrets.token_urlsafe(12)
        # Staff get the message centre's alerts at an address of their
        # company's domain (the demo's domains are .example: never sent).
        domain = (partner.contact_email.split('@')[1] if partner
            else 'ev-platform.example')
        # Roles (user_role) give the groups, as the operator does it.
        user = User(login=login, name=name, password=password,
            email='%s@%s' % (login, domain),
            language=self.russian, ev_partner=partner,
            roles=[{'role': ModelData.get_id('ev_partner', role_xml_id)}],
            companies=[self.company], company=self.company)
        user.save()
        return password

    def create_users(self, parties):
        logins = {}
        for login, name, role in BACK_OFFICE:
            logins[login] = (self._user(login, name, 'role_ev_' + role),
                role, None)
        for partner, data in zip(self.partners, PARTNERS):
            for login, name, role in data['staff']:
                logins[login] = (
                    self._user(login, name, 'role_ev_' + role, partner),
                    'partner_' + role, partner.legal_name)
        return logins

    def create_web_users(self):
        """The client app's accounts of the first two clients, their e-mail
        confirmed (ev_portal_pwa)"""
        pool = self.pool
        try:
            WebUser = pool.get('web.user')
        except KeyError:
            return {}
        logins = {}
        users = []
        for client in self.clients[:2]:
            email = client.contact_mechanisms[0].value
            password = secrets.token_urlsafe(12)
            users.append(WebUser(email=email, password=password,
                    email_valid=True, party=client))
            logins[email] = (password, 'client app', client.name)
        WebUser.save(users)
        return logins

    def create_clients(self):
        pool = self.pool
        Party = pool.get('party.party')
        IdTag = pool.get('ev.id_tag')
        ContactMechanism = pool.get('party.contact_mechanism')
        clients = []
        for name, email, tags in CLIENTS:
            client = Party(name=name, ev_client=True, lang=self.russian,
                contact_mechanisms=[
                    ContactMechanism(type='email', value=email)])
            client.save()
            parent = None
            for code, kind, status, expiry_days in tags:
                tag = IdTag(code=code, kind=kind, party=client,
                    status=status, parent=parent)
                if expiry_days is not None:
                    tag.expires_at = self.now + dt.timedelta(days=expiry_days)
                tag.save()
                # A fleet's first card is the account the others hang on.
                if code.startswith('FLEET'):
                    parent = tag
            IdTag.issue_app_token(client)
            clients.append(client)
        return clients

    def create_catalogue(self):
        "Create the chargers' vendors and models; return them by names"
        pool = self.pool
        Vendor = pool.get('ev.charger.vendor')
        Model = pool.get('ev.charger.model')
        ConnectorType = pool.get('ev.connector.type')
        types = {t.code: t for t in ConnectorType.search([])}
        vendors = {name: Vendor(name=name, website=website)
            for name, website in VENDORS.items()}
        Vendor.save(list(vendors.values()))
        models = {}
        for station in STATIONS:
            vendor, model, connectors = station[-3:]
            if (vendor, model) in models:
                continue
            versions, quirks, configuration = CHARGER_MODELS[
                (vendor, model)]
            models[(vendor, model)] = Model(
                vendor=vendors[vendor], name=model, ocpp_versions=versions,
                max_power=max(Decimal(p) for _, p in connectors),
                connector_count=len(connectors),
                connector_types=sorted({types[c] for c, _ in connectors},
                    key=lambda t: t.code),
                quirks=quirks, default_configuration=configuration)
        Model.save(list(models.values()))
        return models

    def create_regions(self):
        "Create the regions of the stations' cities; return them by name"
        Region = self.pool.get('ev.region')
        regions = {name: Region(name=name, code=code, country=self.russia)
            for name, code in REGIONS}
        Region.save(list(regions.values()))
        return regions

    def create_stations(self, partners):
        pool = self.pool
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        types = {t.code: t for t in ConnectorType.search([])}
        models = self.create_catalogue()
        regions = self.create_regions()
        stations = []
        for (index, identity, name, street, city, postal_code, lat, lon,
                vendor, model, connectors) in STATIONS:
            password = secrets.token_urlsafe(12)
            self.charger_passwords[identity] = password
            station = Station(
                name=name, identity=identity, partner=partners[index],
                street=street, city=city, postal_code=postal_code,
                country=self.russia, latitude=lat, longitude=lon,
                timezone='Europe/Moscow', opening_hours='24/7',
                vendor=vendor, model=model,
                charger_model=models[(vendor, model)], region=regions[city],
                serial_number='%s-%06d' % (vendor[:3].upper(),
                    RNG.randrange(10 ** 6)),
                firmware_version='%d.%d.%d' % (
                    RNG.randint(1, 4), RNG.randint(0, 9), RNG.randint(0, 20)),
                ocpp_version='1.6' if len(stations) % 3 else '2.0.1',
                registration_status='accepted',
                online=True,
                last_seen_at=self.now - dt.timedelta(
                    seconds=RNG.randint(5, 240)),
                connectors=[
                    Connector(number=n, evse=n, type=types[code],
                        max_power=Decimal(power), status='available',
                        status_at=self.now - dt.timedelta(hours=2))
                    for n, (code, power) in enumerate(connectors, 1)])
            stations.append(station)
        Station.save(stations)
        Station.write(stations, {'password': None})
        for station in stations:
            Station.write([station], {
                    'password': self.charger_passwords[station.identity]})
        Station.connect(stations)
        # One station still waits for the operator, one is in trouble.
        Station.write([stations[7]], {
                'online': False,
                'last_seen_at': self.now - dt.timedelta(hours=5),
                })
        Connector.set_status(list(stations[7].connectors), 'unavailable',
            at=self.now - dt.timedelta(hours=5))
        return stations

    def create_tariffs(self):
        "The platform's default tariff and a partner's with a night band"
        pool = self.pool
        Configuration = pool.get('ev.configuration')
        Tariff = pool.get('ev.tariff')
        Band = pool.get('ev.tariff.band')
        Assignment = pool.get('ev.tariff.assignment')
        # What the platform lets its partners ask.
        config = Configuration(1)
        config.tariff_max_price_per_kwh = Decimal('40')
        config.tariff_max_price_per_minute = Decimal('10')
        config.tariff_max_idle_price_per_minute = Decimal('15')
        config.tariff_max_start_fee = Decimal('100')
        config.tariff_min_idle_grace_minutes = 10
        config.save()
        # Prices include VAT: the chart of accounts, and with it the tax,
        # comes with billing.
        start = dt.date(self.now.year - 1, 1, 1)
        platform = Tariff(name="Тариф платформы", partner=None,
            currency=self.company.currency, start_fee=Decimal('0'),
            price_per_kwh=Decimal('22'), price_per_minute=Decimal('0'),
            idle_price_per_minute=Decimal('5'), idle_grace_minutes=15,
            energy_step_wh=10, time_step_seconds=60, tax_included=True,
            start_date=start, taxes=[self.vat])
        voltzaryad = Tariff(name="ВольтЗаряд: день и ночь",
            partner=self.partners[0].party, currency=self.company.currency,
            start_fee=Decimal('30'), price_per_kwh=Decimal('24'),
            price_per_minute=Decimal('0'),
            idle_price_per_minute=Decimal('8'), idle_grace_minutes=10,
            energy_step_wh=10, time_step_seconds=60, tax_included=True,
            min_price=Decimal('50'), start_date=start, taxes=[self.vat],
            bands=[Band(name="Ночь", start_time=dt.time(23),
                    end_time=dt.time(7), price_per_kwh=Decimal('14'))])
        Tariff.save([platform, voltzaryad])
        Assignment.save([
                Assignment(tariff=platform, location='platform',
                    audience='everyone'),
                Assignment(tariff=voltzaryad, location='partner',
                    partner=self.partners[0].party, audience='everyone'),
                ])

    def create_offers(self):
        """Subscription plans, a client who bought one, and promo codes:
        a welcome code, a launch code and a batch for one network"""
        from trytond.transaction import Transaction
        pool = self.pool
        ModelData = pool.get('ir.model.data')
        Uom = pool.get('product.uom')
        Template = pool.get('product.template')
        Product = pool.get('product.product')
        Service = pool.get('sale.subscription.service')
        Plan = pool.get('ev.subscription.plan')
        Subscription = pool.get('sale.subscription')
        Promotion = pool.get('sale.promotion')
        Coupon = pool.get('sale.promotion.coupon')
        Number = pool.get('sale.promotion.coupon.number')
        Account = pool.get('account.account')
        Category = pool.get('product.category')
        unit = Uom(ModelData.get_id('product', 'uom_unit'))
        # The plans' fees are the platform's own revenue, with VAT.
        revenue, = Account.search([
                ('type.revenue', '=', True),
                ('company', '=', self.company.id),
                ('closed', '!=', True),
                ], order=[('code', 'ASC'), ('id', 'ASC')], limit=1)
        category = Category(name="Абонементы на зарядку", accounting=True,
            account_revenue=revenue, customer_taxes=[self.vat])
        category.save()
        services = {}
        for xml_id, name, price in [
                ('recurrence_monthly', "Абонемент на месяц", '1490'),
                ('recurrence_yearly', "Абонемент на год", '4900')]:
            template = Template(name=name, type='service',
                default_uom=unit, sale_uom=unit, salable=True,
                list_price=Decimal(price), account_category=category,
                products=[Product()])
            template.save()
            services[xml_id] = Service(product=template.products[0],
                consumption_recurrence=ModelData.get_id(
                    'ev_tariff', xml_id))
            services[xml_id].save()
        voltzaryad = self.partners[0].party
        plans = [
            Plan(name="ВольтЗаряд 100", service=services['recurrence_monthly'],
                fee=Decimal('1490'), currency=self.company.currency,
                included_energy_wh=100_000, waive_start_fee=True,
                discount_rate=Decimal('0.1'), partners=[voltzaryad],
                description="100 кВт·ч в месяц на станциях ВольтЗаряд, "
                "без платы за старт, −10 % сверх пакета."),
            Plan(name="Вся сеть −15 %", service=services['recurrence_yearly'],
                fee=Decimal('4900'), currency=self.company.currency,
                discount_rate=Decimal('0.15'),
                description="Скидка 15 % на всех станциях сети целый год."),
            ]
        Plan.save(plans)
        # The first client bought the monthly plan in the client app.
        with Transaction().set_context(_ev_portal_party=self.clients[0].id):
            Subscription.ev_purchase(plans[0].id)

        def promotion(name, discount, number_of_use, client_limit, codes,
                **values):
            promotion = Promotion(name=name, ev_discount=discount,
                formula='unit_price', company=self.company,
                currency=self.company.currency, **values)
            promotion.save()
            coupon = Coupon(promotion=promotion, company=self.company,
                number_of_use=number_of_use, ev_client_limit=client_limit)
            coupon.save()
            Number.save([Number(coupon=coupon, company=self.company,
                        number=code, start_date=None) for code in codes])
        promotion("Добро пожаловать", 'percentage', 0, 1, ['WELCOME'],
            ev_rate=Decimal('0.5'), ev_first_session=True)
        promotion("Запуск сети", 'fixed', 100, 1, ['START200'],
            ev_amount=Decimal('200'))
        promotion("10 кВт·ч в подарок", 'free_kwh', 1, 2,
            ['VZ-%s' % ''.join(RNG.choice('ABCDEFGHJKMNPQRSTUVWXYZ23456789')
                    for _ in range(8)) for _ in range(20)],
            ev_energy_wh=10_000, ev_partners=[voltzaryad])

    def create_sessions(self):
        pool = self.pool
        Connector = pool.get('ev.connector')
        tags = [t for c in self.clients for t in c.ev_id_tags
            if t.status == 'accepted' and t.kind == 'rfid']
        # The references come from the sequence the OCPP daemon draws its
        # 1.6 transaction ids from, so that a real session never reuses one.
        sequence = pool.get('ev.configuration')(1).ocpp_transaction_sequence
        for station in self.stations:
            if not station.online:
                continue
            meter = {c.id: RNG.randrange(100_000, 5_000_000)
                for c in station.connectors}
            # A history that grows month after month, for the statistics;
            # only the recent sessions carry their meter readings.
            starts = sorted(self.now - dt.timedelta(
                    days=30 * months_back + RNG.randint(0, 27),
                    minutes=RNG.randint(0, 1200))
                for months_back in range(5, 0, -1)
                for _ in range(2 * (6 - months_back)))
            for start in starts:
                connector = RNG.choice(station.connectors)
                self._session(connector, RNG.choice(tags), start,
                    RNG.randint(20, 90), int(min(
                            connector.max_power, Decimal(50)) * 850),
                    meter, sequence.get(), finished=True, readings=False)
            start = self.now - dt.timedelta(days=6)
            while True:
                start += dt.timedelta(minutes=RNG.randint(240, 1200))
                if start > self.now - dt.timedelta(hours=3):
                    break
                connector = RNG.choice(station.connectors)
                tag = RNG.choice(tags)
                minutes = RNG.randint(20, 90)
                power_w = int(min(connector.max_power, Decimal(
                                RNG.choice([11, 22, 50, 90, 120])))
                    * 1000 * Decimal('0.85'))
                self._session(connector, tag, start, minutes, power_w,
                    meter, sequence.get(), finished=True)
        # Two taxi drivers charge right now, each on a fleet card of their
        # own: the clients who log in to the app (the first two) must be
        # free to start a session, and the tests' cards to authorize.
        IdTag = pool.get('ev.id_tag')
        parent, = IdTag.search([('code', '=', 'FLEET-GOROD')])
        drivers = IdTag.create([{
                    'code': code, 'kind': 'rfid', 'party': parent.party.id,
                    'status': 'accepted', 'parent': parent.id,
                    } for code in ['04A7B6C5D4E3F2', '04B8C9D0E1F2A3']])
        for station, connector_index, tag in [
                (self.stations[1], 0, drivers[0]),
                (self.stations[4], 1, drivers[1])]:
            connector = station.connectors[connector_index]
            start = self.now - dt.timedelta(minutes=35)
            meter = {connector.id: RNG.randrange(100_000, 5_000_000)}
            self._session(connector, tag, start, 35, 95_000, meter,
                sequence.get(), finished=False)
            Connector.set_status([connector], 'charging', at=start)

    def _session(self, connector, tag, start, minutes, power_w, meter,
            transaction_ref, finished, readings=True):
        pool = self.pool
        Session = pool.get('ev.session')
        MeterValue = pool.get('ev.session.meter_value')
        session = Session(station=connector.station, connector=connector,
            id_tag=tag, id_tag_code=tag.code, client=tag.party)
        session.save()
        meter_start = meter[connector.id]
        Session.start([session], at=start, meter_start=meter_start,
            transaction_ref=transaction_ref)
        values = []
        reading = meter_start
        soc = RNG.randint(10, 40)
        for minute in range(5, minutes + 1, 5):
            # Charging tapers off as the battery fills.
            power = int(power_w * (1 - soc / 200))
            reading += power * 5 // 60
            soc = min(soc + RNG.randint(2, 6), 100)
            values.append(MeterValue(session=session,
                    measured_at=start + dt.timedelta(minutes=minute),
                    energy_wh=reading, power_w=power, soc=soc,
                    voltage_v=400.0 if power_w > 22000 else 230.0,
                    current_a=round(power / (400.0 if power_w > 22000
                            else 230.0 * 3), 1)))
        if readings:
            MeterValue.save(values)
        if finished:
            Session.stop([session], at=start + dt.timedelta(minutes=minutes),
                meter_stop=reading, reason=RNG.choice(
                    ['local', 'ev_disconnected', 'ev_disconnected',
                        'remote']))
            meter[connector.id] = reading
        else:
            Session.write([session], {'energy_wh': reading - meter_start})

    def create_topups(self):
        """The clients' card top-ups, before their sessions: historical
        payments the acquirer settled long ago, so they are recorded as
        succeeded without a call to it"""
        pool = self.pool
        Configuration = pool.get('ev.configuration')
        Payment = pool.get('account.payment')
        config = Configuration(1)
        journal = config.card_journal
        payments = [Payment(company=self.company, kind='receivable',
                journal=journal, party=client, currency=journal.currency,
                amount=Decimal(amount), account=config.balance_account,
                ev_kind='topup',
                date=self.now.date() - dt.timedelta(days=160))
            for client, amount in zip(self.clients,
                [80000, 60000, 5000, 50000, 250000, 500])]
        Payment.save(payments)
        Payment.submit(payments)
        Payment.write(payments, {'state': 'processing'})
        Payment.succeed(payments)

    def invoice_subscriptions(self):
        """The fee of the plan bought in create_offers, invoiced as
        sale_subscription's tasks do, and paid from the client's balance
        by billing"""
        pool = self.pool
        Date = pool.get('ir.date')
        Line = pool.get('sale.subscription.line')
        Subscription = pool.get('sale.subscription')
        # ev_purchase starts the subscription on the clock's date.
        today = Date.today()
        Line.generate_consumption(date=today)
        Subscription.generate_invoice(date=today)

    def create_settlements(self):
        """Last month's settlements with the partners, confirmed and e-mailed
        (the statement goes to the partner's contact address)"""
        Settlement = self.pool.get('ev.billing.settlement')
        first = self.now.date().replace(day=1)
        Settlement.create_period(first - dt.timedelta(days=1), self.company)

    def create_events(self):
        pool = self.pool
        Event = pool.get('ev.station.event')
        Connector = pool.get('ev.connector')
        events = []
        for station in self.stations:
            events.append(Event(station=station, kind='boot',
                    occurred_at=self.now - dt.timedelta(days=6),
                    description="BootNotification: %s %s, firmware %s" % (
                        station.vendor, station.model,
                        station.firmware_version)))
        faulty = self.stations[9].connectors[1]
        at = self.now - dt.timedelta(minutes=50)
        events.append(Event(station=faulty.station, connector=faulty,
                kind='fault', severity='error', occurred_at=at,
                error_code='GroundFailure',
                description="StatusNotification: Faulted (GroundFailure)"))
        Connector.set_status([faulty], 'faulted', error_code='GroundFailure',
            at=at)
        offline = self.stations[7]
        events.append(Event(station=offline, kind='connection',
                severity='warning',
                occurred_at=offline.last_seen_at,
                description="Connection lost"))
        Event.save(events)

    def create_messages(self):
        """The message centre as the staff find it: the faulted connector
        and the silent station the events tell of, a client's support
        request with its answer, and yesterday's summary"""
        from trytond.transaction import Transaction
        pool = self.pool
        Message = pool.get('ev.message')
        Station = pool.get('ev.station')
        User = pool.get('res.user')
        Channel = pool.get('ir.chat.channel')
        faulty = self.stations[9].connectors[1]
        Message.station_status(faulty.station, faulty, 'faulted',
            error_code='GroundFailure',
            at=self.now - dt.timedelta(minutes=50))
        offline = self.stations[7]
        Station.write([offline], {'offline_since': offline.last_seen_at})
        Station.alert_offline(now=self.now)
        try:
            WebUser = pool.get('web.user')
        except KeyError:
            WebUser = None
        if WebUser is not None:
            Session = pool.get('ev.session')
            web_user = WebUser.search([], order=[('id', 'ASC')], limit=1)[0]
            sessions = Session.search([
                    ('client', '=', web_user.party.id),
                    ('state', '=', 'finished'),
                    ], order=[('start_at', 'DESC')], limit=1)
            request = Message.support_create(web_user,
                "Здравствуйте! Зарядка остановилась раньше, чем я ожидал. "
                "Почему так получилось?",
                subject="Зарядка остановилась раньше времени",
                session=sessions[0] if sessions else None)
            operator, = User.search([('login', '=', 'operator')])
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(language='ru'):
                Channel.post(str(request),
                    "Здравствуйте! Автомобиль завершил зарядку сам, когда "
                    "батарея набрала заданный уровень. Списана только "
                    "отданная энергия.", audience='public')
        Message.post_daily_summary(self.now.date() - dt.timedelta(days=1))


def write_outputs(var, logins, charger_passwords, ocpp_password=None):
    os.makedirs(var, exist_ok=True)
    old_umask = os.umask(0o077)
    try:
        path = os.path.join(var, 'demo-logins.txt')
        with open(path, 'w') as fp:
            width = max(len(login) for login in logins)
            for login, (password, role, partner) in logins.items():
                line = '  %s  %s  %s' % (
                    login.ljust(width), password, role.replace('_', ' '))
                if partner:
                    line += ' (%s)' % partner
                fp.write(line + '\n')
        with open(os.path.join(var, 'demo-chargers.json'), 'w') as fp:
            json.dump(charger_passwords, fp, indent=2, sort_keys=True)
        if ocpp_password:
            with open(os.path.join(var, 'demo-ocpp-password'), 'w') as fp:
                fp.write(ocpp_password + '\n')
    finally:
        os.umask(old_umask)
    print("demo: demo data loaded; logins in %s" % path)


if __name__ == '__main__':
    main()
