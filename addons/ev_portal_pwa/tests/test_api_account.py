# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client's account over HTTP: history, receipts, top-up with the
sandbox acquirer, the payment method, subscriptions and promo codes, each
confined to the client's own records"""
import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import stripe

import trytond.config as config
from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests import set_invoice_sequences
from trytond.modules.company.tests import set_company
from trytond.modules.ev_billing.sandbox import serve
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError

from . import test_api

RU_MESSAGES = [
    ('msg_invoice_not_found', "Счёт не найден."),
    ]


def setup_account():
    "Add the books, the card acquirer, a plan and promo codes"
    pool = Pool()
    Company = pool.get('company.company')
    Account = pool.get('account.account')
    FiscalYear = pool.get('account.fiscalyear')
    Journal = pool.get('account.journal')
    PaymentJournal = pool.get('account.payment.journal')
    StripeAccount = pool.get('account.payment.stripe.account')
    Configuration = pool.get('ev.configuration')
    Category = pool.get('product.category')
    Uom = pool.get('product.uom')
    Template = pool.get('product.template')
    Product = pool.get('product.product')
    Service = pool.get('sale.subscription.service')
    ModelData = pool.get('ir.model.data')
    Recurrence = pool.get('sale.subscription.recurrence.rule.set')
    Plan = pool.get('ev.subscription.plan')
    Promotion = pool.get('sale.promotion')
    Coupon = pool.get('sale.promotion.coupon')
    Number = pool.get('sale.promotion.coupon.number')
    Translation = pool.get('ir.translation')

    Translation.create([{
                'lang': 'ru', 'type': 'model', 'name': 'ir.message,text',
                'res_id': ModelData.get_id('ev_portal_pwa', xml_id),
                'src': '', 'value': value, 'module': 'ev_portal_pwa',
                } for xml_id, value in RU_MESSAGES])
    company, = Company.search([])
    with set_company(company):
        create_chart(company, tax=True)
        fiscalyear = set_invoice_sequences(
            get_fiscalyear(company, today=dt.date(2026, 1, 1)))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        balance, = Account.search([
                ('type.receivable', '=', True),
                ('party_required', '=', True),
                ], limit=1)
        revenue, = Account.search([
                ('type.revenue', '=', True),
                ('closed', '!=', True),
                ], limit=1)
        cash, = Account.search([
                ('name', '=', 'Cash and Cash Equivalents')], limit=1)
        card_moves = Journal(name="Card Payments", code='CARD', type='cash')
        card_moves.save()
        acquirer = StripeAccount(name="Sandbox",
            secret_key='sk_sandbox_portal',
            publishable_key='pk_sandbox_portal')
        acquirer.save()
        card_journal = PaymentJournal(name="Bank cards",
            process_method='stripe', currency=company.currency,
            stripe_account=acquirer, clearing_account=cash,
            clearing_journal=card_moves)
        card_journal.save()
        configuration = Configuration(1)
        configuration.balance_account = balance
        configuration.commission_account = revenue
        configuration.card_journal = card_journal
        configuration.save()

        category = Category(name="Plans", accounting=True,
            account_revenue=revenue)
        category.save()
        unit, = Uom.search([('name', '=', 'Unit')])
        template = Template(name="Volt 10", default_uom=unit,
            type='service', salable=True, sale_uom=unit,
            list_price=Decimal('990'), account_category=category)
        template.save()
        product = Product(template=template)
        product.save()
        service = Service(product=product,
            consumption_recurrence=Recurrence(
                ModelData.get_id('ev_tariff', 'recurrence_monthly')))
        service.save()
        Plan(name="Volt 10", service=service, fee=Decimal('990'),
            currency=company.currency, included_energy_wh=10000,
            included_minutes=0, discount_rate=Decimal('0.1'),
            waive_start_fee=True).save()

        promotion = Promotion(name="Welcome", ev_discount='percentage',
            ev_rate=Decimal('0.5'), formula='unit_price')
        promotion.save()
        coupon = Coupon(promotion=promotion, number_of_use=0,
            ev_client_limit=1)
        coupon.save()
        Number(coupon=coupon, number='Welcome50').save()


class AccountApiTestCase(test_api.ApiTestCase):
    "Test the client API of the account"

    @classmethod
    def setUpClass(cls):
        # The acquirer the top-ups go to, as a card acquirer would run.
        cls.sandbox = serve()
        if not config.has_section('ev_billing'):
            config.add_section('ev_billing')
        cls._sandbox_url = config.get('ev_billing', 'sandbox_url')
        config.set('ev_billing', 'sandbox_url', cls.sandbox.url)
        super().setUpClass()
        cls.commit(setup_account)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        if cls._sandbox_url is None:
            config._config.remove_option('ev_billing', 'sandbox_url')
            config._cache_clear()
        else:
            config.set('ev_billing', 'sandbox_url', cls._sandbox_url)
        cls.sandbox.stop()

    @staticmethod
    def commit(func, *args):
        """Return func(*args) run as admin and committed, retried with the
        locks it asks for as the server's transactions are (singletons and
        strict sequences lock)"""
        extras = {}
        while True:
            with Transaction().start(DB_NAME, 1, **extras) as transaction:
                try:
                    result = func(*args)
                    transaction.commit()
                    return result
                except TransactionError as exception:
                    transaction.rollback()
                    exception.fix(extras)

    def login(self, who):
        "Return the client of who logged in, a new one in each test"
        test = self._testMethodName.replace('_', '-')
        return self.client_logged_in(
            '%s.%s@example.com' % (who, test), self.name(who))

    def name(self, who):
        return '%s %s' % (who.title(), self._testMethodName)

    def party(self, who):
        Party = Pool().get('party.party')
        party, = Party.search([('name', '=', self.name(who))])
        return party

    def bill(self, who, stop_at, energy_wh, amount):
        """Make a finished session of the client at Moscow Centre with its
        posted invoice, and return the session's and invoice's ids"""
        pool = Pool()
        Company = pool.get('company.company')
        Station = pool.get('ev.station')
        Session = pool.get('ev.session')
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Account = pool.get('account.account')
        Tax = pool.get('account.tax')
        Address = pool.get('party.address')
        company, = Company.search([])
        party = self.party(who)
        station, = Station.search([('name', '=', "Moscow Centre")])
        with set_company(company):
            session, = Session.create([{
                        'company': company.id,
                        'station': station.id,
                        'connector': station.connectors[0].id,
                        'client': party.id,
                        'start_at': stop_at - dt.timedelta(hours=1),
                        'stop_at': stop_at,
                        'energy_wh': energy_wh,
                        'currency': company.currency.id,
                        'amount': amount,
                        'payment_method': 'balance',
                        'billing_state': 'invoiced',
                        'state': 'finished',
                        }])
            if not party.address_get(type='invoice'):
                Address(party=party).save()
            revenue, = Account.search([
                    ('type.revenue', '=', True),
                    ('closed', '!=', True),
                    ], limit=1)
            tax, = Tax.search([], limit=1)
            invoice = Invoice(company=company, type='out', party=party,
                invoice_address=party.address_get(type='invoice'),
                currency=company.currency,
                account=party.account_receivable_used,
                invoice_date=stop_at.date())
            invoice.set_journal()
            invoice.lines = [Line(type='line', quantity=1,
                    account=revenue, unit_price=amount, taxes=[tax],
                    description="Charging %s" % party.name, ev_session=session,
                    company=company, currency=company.currency)]
            invoice.save()
            Invoice.update_taxes([invoice])
            Invoice.post([invoice])
        return session.id, invoice.id

    def test_history_isolation(self):
        "The history shows the client's own sessions and payments only"
        clients = {
            'alice': self.login('alice'),
            'bob': self.login('bob'),
            }
        ids = {}

        def setup():
            pool = Pool()
            Company = pool.get('company.company')
            Payment = pool.get('account.payment')
            Journal = pool.get('account.payment.journal')
            company, = Company.search([])
            journal, = Journal.search([('name', '=', "Manual")])
            # An older session of Alice's, to see the order.
            self.bill('alice', dt.datetime(2026, 10, 1, 10), 1000,
                Decimal('1.00'))
            for name, amount, day in [
                    ('alice', Decimal('12.34'), 3),
                    ('bob', Decimal('56.78'), 4)]:
                session, invoice = self.bill(name,
                    dt.datetime(2026, 11, day, 10), 15000, amount)
                with set_company(company):
                    payment, = Payment.create([{
                                'company': company.id,
                                'journal': journal.id,
                                'kind': 'receivable',
                                'party': self.party(name).id,
                                'amount': amount * 10,
                                'date': dt.date(2026, 11, day),
                                'ev_kind': 'topup',
                                }])
                ids[name] = (session, invoice, payment.id)
        self.commit(setup)

        response = clients['alice'].get(self.url('history'))
        self.assertEqual(response.status_code, 200, response.get_data())
        history = response.get_json()
        session_id, invoice_id, payment_id = ids['alice']
        first = history['sessions'][0]
        self.assertEqual(first['id'], session_id)
        self.assertEqual(first['station']['name'], "Moscow Centre")
        self.assertEqual(first['connector']['number'], 1)
        self.assertEqual(first['energy_wh'], 15000)
        self.assertEqual(first['amount'], '12.34')
        self.assertEqual(first['stopped_at'], '2026-11-03T10:00:00Z')
        self.assertEqual(first['billing_state'], 'invoiced')
        self.assertEqual(first['invoice']['id'], invoice_id)
        self.assertTrue(first['invoice']['number'])
        self.assertEqual(len(history['sessions']), 2)
        self.assertEqual(history['payments'], [{
                    'id': payment_id, 'kind': 'topup',
                    'date': '2026-11-03', 'amount': '123.40',
                    'currency': 'usd', 'state': 'draft', 'session': None,
                    'invoice': None,
                    }])
        text = response.get_data(as_text=True)
        self.assertNotIn('56.78', text)
        self.assertNotIn('567.80', text)
        self.assertNotIn(str(ids['bob'][0]), [
                str(s['id']) for s in history['sessions']])

        # Paging: the older session alone.
        paged = clients['alice'].get(
            self.url('history?limit=1&offset=1')).get_json()
        self.assertEqual([s['energy_wh'] for s in paged['sessions']],
            [1000])
        self.assertError(clients['alice'].get(self.url('history?limit=x')),
            400, 'msg_api_value_invalid')

        bob = clients['bob'].get(self.url('history')).get_json()
        self.assertEqual([s['id'] for s in bob['sessions']], [ids['bob'][0]])
        self.assertEqual([p['amount'] for p in bob['payments']], ['567.80'])

        self.assertError(self.client().get(self.url('history')), 401,
            'msg_api_not_logged_in')

    def test_receipt(self):
        "The receipt is the client's own invoice, with lines and taxes"
        clients = {
            'alice': self.login('alice'),
            'bob': self.login('bob'),
            }

        def setup():
            _, alice_invoice = self.bill('alice',
                dt.datetime(2026, 11, 5, 10), 15000, Decimal('100.00'))
            _, bob_invoice = self.bill('bob',
                dt.datetime(2026, 11, 6, 10), 15000, Decimal('200.00'))
            invoice = Pool().get('account.invoice')(alice_invoice)
            return (alice_invoice, bob_invoice, invoice.number,
                invoice.total_amount)
        alice_invoice, bob_invoice, number, total = self.commit(setup)
        self.assertGreater(total, Decimal('100.00'))

        response = clients['alice'].get(
            self.url('invoices/%s/receipt' % alice_invoice))
        self.assertEqual(response.status_code, 200, response.get_data())
        self.assertEqual(response.headers['Content-Type'],
            'text/html; charset=utf-8')
        self.assertTrue(response.headers['Content-Security-Policy']
            .startswith("default-src 'none'"))
        html = response.get_data(as_text=True)
        self.assertIn(number, html)
        self.assertIn("Charging %s" % self.name('alice'), html)
        self.assertIn('100.00', html)
        self.assertIn('{:,.2f}'.format(total), html)
        self.assertNotIn("Charging %s" % self.name('bob'), html)

        for path in ['invoices/%s/receipt' % bob_invoice,
                'invoices/999999/receipt']:
            self.assertError(clients['alice'].get(self.url(path)), 404,
                'msg_invoice_not_found')
        # In the client's language.
        clients['alice'].open(self.url('me'), method='PATCH',
            json={'language': 'ru'}, headers=[('X-CSRF-Token',
                    clients['alice'].get_cookie('ev_csrf',
                        path=self.cookie_path).value)])
        error = self.assertError(clients['alice'].get(
                self.url('invoices/%s/receipt' % bob_invoice)), 404,
            'msg_invoice_not_found')
        self.assertEqual(error['message'], "Счёт не найден.")
        self.assertError(self.client().get(
                self.url('invoices/%s/receipt' % alice_invoice)), 401,
            'msg_api_not_logged_in')

    def test_topup(self):
        "A top-up answers the acquirer's checkout page of a new payment"
        client = self.login('alice')
        response = self.call(client, 'POST', 'topup', {'amount': '500'})
        self.assertEqual(response.status_code, 201, response.get_data())
        result = response.get_json()
        self.assertEqual(result['amount'], '500.00')
        self.assertIn('/account_payment_stripe/checkout/account.payment/',
            result['url'])
        with Transaction().start(DB_NAME, 1):
            Payment = Pool().get('account.payment')
            payment = Payment(result['payment'])
            self.assertEqual(payment.party.name, self.name('alice'))
            self.assertEqual(payment.ev_kind, 'topup')
            self.assertEqual(payment.amount, Decimal('500.00'))
            self.assertTrue(payment.stripe_payment_intent_id)

        for amount in ['-5', 'abc', 0, True, None]:
            with self.subTest(amount=amount):
                response = self.call(client, 'POST', 'topup',
                    {'amount': amount})
                self.assertEqual(response.status_code, 400)
        # Without CSRF header, refused.
        self.assertError(self.call(client, 'POST', 'topup',
                {'amount': '5'}, csrf=False), 403, 'msg_api_csrf')

        # Billing not configured: ev_billing's translated refusal.
        with Transaction().start(DB_NAME, 1) as transaction:
            Configuration = Pool().get('ev.configuration')
            configuration = Configuration(1)
            journal = configuration.card_journal
            configuration.card_journal = None
            configuration.save()
            transaction.commit()
        try:
            error = self.assertError(self.call(client, 'POST', 'topup',
                    {'amount': '5'}), 400, 'BillingError')
            self.assertTrue(error['message'])
        finally:
            with Transaction().start(DB_NAME, 1) as transaction:
                configuration = Pool().get('ev.configuration')(1)
                configuration.card_journal = journal
                configuration.save()
                transaction.commit()

    def test_save_card(self):
        """Saving a card answers the acquirer's setup page; once the card
        is entered there it is the client's card, paying charging"""
        client = self.login('alice')
        response = self.call(client, 'POST', 'cards')
        self.assertEqual(response.status_code, 201, response.get_data())
        result = response.get_json()
        self.assertEqual(list(result), ['url'])
        path = ('/account_payment_stripe/checkout/'
            'account.payment.stripe.customer/')
        self.assertIn(path, result['url'])
        self.assertFalse(client.get(self.url('account')).get_json()[
                'card_saved'])
        with Transaction().start(DB_NAME, 1):
            Customer = Pool().get('account.payment.stripe.customer')
            customer, = Customer.search([
                    ('party', '=', self.party('alice').id)])
            intent = customer.stripe_setup_intent_id
            api_key = customer.stripe_account.secret_key
        self.assertTrue(intent)

        # What the page's Stripe.js does with the card, then its end.
        stripe.SetupIntent.confirm(intent, api_key=api_key,
            payment_method='pm_card_visa', return_url='http://localhost/')
        response = client.get(urlsplit(result['url']).path + '/end')
        self.assertEqual(response.status_code, 200, response.get_data())
        account = client.get(self.url('account')).get_json()
        self.assertTrue(account['card_saved'])
        self.assertEqual(account['card'], {'brand': 'visa', 'last4': '4242'})
        response = self.call(client, 'POST', 'payment-method',
            {'method': 'card'})
        self.assertEqual(response.status_code, 200, response.get_data())

        # Replacing the card keeps the client's acquirer customer.
        response = self.call(client, 'POST', 'cards')
        self.assertEqual(response.status_code, 201, response.get_data())
        self.assertNotEqual(response.get_json()['url'], result['url'])
        with Transaction().start(DB_NAME, 1):
            Customer = Pool().get('account.payment.stripe.customer')
            self.assertEqual(Customer.search([
                        ('party', '=', self.party('alice').id)]),
                [customer])

        self.assertError(self.call(client, 'POST', 'cards', csrf=False),
            403, 'msg_api_csrf')
        self.assertError(self.call(self.client(), 'POST', 'cards'), 401,
            'msg_api_not_logged_in')

    def test_payment_method(self):
        "The balance may be chosen; the card needs a saved card"
        client = self.login('alice')
        response = self.call(client, 'POST', 'payment-method',
            {'method': 'balance'})
        self.assertEqual(response.status_code, 200, response.get_data())
        self.assertEqual(response.get_json(), {'payment_method': 'balance'})
        self.assertError(self.call(client, 'POST', 'payment-method',
                {'method': 'card'}), 400, 'BillingError')
        self.assertError(self.call(client, 'POST', 'payment-method',
                {'method': 'cash'}), 400, 'msg_api_value_invalid')
        self.assertEqual(client.get(self.url('account')).get_json()[
                'payment_method'], 'balance')

    def test_subscriptions(self):
        "A client buys a plan, sees it with its usage and stops renewal"
        alice = self.login('alice')
        bob = self.login('bob')
        response = alice.get(self.url('subscriptions'))
        self.assertEqual(response.status_code, 200, response.get_data())
        offers = response.get_json()
        self.assertEqual([o['name'] for o in offers['offers']], ["Volt 10"])
        self.assertEqual(offers['subscriptions'], [])
        plan = offers['offers'][0]['id']

        response = self.call(alice, 'POST', 'subscriptions', {'plan': plan})
        self.assertEqual(response.status_code, 201, response.get_data())
        bought = response.get_json()
        self.assertTrue(bought['renews'])
        # Twice is refused, translated by ev_tariff.
        self.assertError(self.call(alice, 'POST', 'subscriptions',
                {'plan': plan}), 400, 'SubscriptionError')
        self.assertError(self.call(alice, 'POST', 'subscriptions',
                {'plan': 'x'}), 400, 'msg_api_value_invalid')

        mine = alice.get(self.url('subscriptions')).get_json()[
            'subscriptions']
        self.assertEqual([s['id'] for s in mine], [bought['id']])
        self.assertEqual(mine[0]['energy_left_wh'], 10000)
        self.assertEqual(mine[0]['energy_used_wh'], 0)
        self.assertEqual(bob.get(self.url('subscriptions')).get_json()[
                'subscriptions'], [])

        # Bob may not stop Alice's.
        self.assertError(self.call(bob, 'POST',
                'subscriptions/%s/cancel' % bought['id']), 400,
            'SubscriptionError')
        response = self.call(alice, 'POST',
            'subscriptions/%s/cancel' % bought['id'])
        self.assertEqual(response.status_code, 200, response.get_data())
        stopped = response.get_json()
        self.assertFalse(stopped['renews'])
        self.assertTrue(stopped['end_date'])

    def test_promo_code_check(self):
        "A promo code is checked for the client, with its description"
        client = self.login('alice')
        response = self.call(client, 'POST', 'promo-codes/check',
            {'code': ' welcome50 '})
        self.assertEqual(response.status_code, 200, response.get_data())
        result = response.get_json()
        self.assertEqual(result['valid'], True)
        self.assertEqual(result['code'], 'WELCOME50')
        self.assertEqual(result['promotion'], "Welcome")
        self.assertIn('50', result['description'])

        with Transaction().start(DB_NAME, 0, readonly=True):
            Station = Pool().get('ev.station')
            station, = Station.search([('name', '=', "Moscow Centre")])
            station_id = station.id
        result = self.call(client, 'POST', 'promo-codes/check',
            {'code': 'WELCOME50', 'station': station_id}).get_json()
        self.assertEqual(result['valid'], True)

        result = self.call(client, 'POST', 'promo-codes/check',
            {'code': 'NOPE'}).get_json()
        self.assertEqual(result['valid'], False)
        self.assertIn('NOPE', result['reason'])
        self.assertNotIn('description', result)

        self.assertError(self.call(client, 'POST', 'promo-codes/check',
                {'code': ''}), 400, 'msg_api_value_required')
        self.assertError(self.call(client, 'POST', 'promo-codes/check',
                {'code': 'X', 'station': 999999}), 404,
            'msg_station_not_found')

    def test_promo_codes_redeemed(self):
        "A code redeemed in the account waits for the next session"
        alice = self.login('alice')
        bob = self.login('bob')
        response = self.call(alice, 'POST', 'promo-codes',
            {'code': ' welcome50 '})
        self.assertEqual(response.status_code, 201, response.get_data())
        code = response.get_json()
        self.assertEqual((code['code'], code['state'], code['session']),
            ('WELCOME50', 'reserved', None))
        self.assertTrue(code['redeemed_at'].endswith('Z'))

        self.assertEqual(alice.get(self.url('promo-codes')).get_json(),
            {'codes': [code]})
        self.assertEqual(bob.get(self.url('promo-codes')).get_json(),
            {'codes': []})
        # Once is enough; an unknown code is refused with its reason.
        self.assertError(self.call(alice, 'POST', 'promo-codes',
                {'code': 'WELCOME50'}), 400, 'PromoCodeError')
        error = self.assertError(self.call(alice, 'POST', 'promo-codes',
                {'code': 'NOPE'}), 400, 'PromoCodeError')
        self.assertIn('NOPE', error['message'])
        self.assertError(self.call(alice, 'POST', 'promo-codes',
                {'code': ''}), 400, 'msg_api_value_required')

        # Bob cannot give back Alice's code; Alice can, and it is gone.
        path = 'promo-codes/%s' % code['id']
        self.assertError(self.call(bob, 'DELETE', path), 400,
            'PromoCodeError')
        self.assertError(self.call(alice, 'DELETE', path, csrf=False), 403,
            'msg_api_csrf')
        response = self.call(alice, 'DELETE', path)
        self.assertEqual(response.status_code, 204, response.get_data())
        self.assertEqual(alice.get(self.url('promo-codes')).get_json(),
            {'codes': []})
        self.assertError(self.client().get(self.url('promo-codes')), 401,
            'msg_api_not_logged_in')


# The API's own tests run in test_api.py, not again here.
for _name in dir(test_api.ApiTestCase):
    if _name.startswith('test_') and _name not in vars(AccountApiTestCase):
        setattr(AccountApiTestCase, _name, None)
del _name
