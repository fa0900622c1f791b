# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Payment failures in the message centre, and the e-mails of billing
through the outbox: receipts and settlement statements"""
import datetime as dt
import unittest
from contextlib import contextmanager
from decimal import Decimal
from email import message_from_bytes, policy

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

# Russian strings of the templates and subjects, as ru.po ships them:
# enough to see which language the e-mails are rendered in.
REPORT_TRANSLATIONS = [
    ('ev.billing.receipt', "Charging receipt", "Чек за зарядку"),
    ]
MESSAGE_TRANSLATIONS = [
    ('msg_receipt_invoice_subject', "Чек по счёту %(number)s"),
    ('msg_receipt_topup_subject', "Чек о пополнении баланса на %(amount)s"),
    ]


class MessageCentreTestCase(unittest.TestCase):
    "Test the payment failures posted and the billing e-mails"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('ev_billing')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    @contextmanager
    def platform(self):
        "Create the company, its books, a card journal and two clients"
        company = create_company()
        with set_company(company):
            self.setup_platform(company)
            yield company

    def setup_platform(self, company):
        pool = Pool()
        Account = pool.get('account.account')
        Configuration = pool.get('ev.configuration')
        FiscalYear = pool.get('account.fiscalyear')
        Journal = pool.get('account.payment.journal')
        Lang = pool.get('ir.lang')
        Party = pool.get('party.party')
        Translation = pool.get('ir.translation')
        ModelData = pool.get('ir.model.data')
        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        self.receivable, = Account.search([
                ('type.receivable', '=', True),
                ('party_required', '=', True),
                ('company', '=', company.id),
                ], limit=1)
        self.revenue, = Account.search([
                ('type.revenue', '=', True),
                ('childs', '=', None),
                ('company', '=', company.id),
                ], limit=1)
        config = Configuration(1)
        config.balance_account = self.receivable
        config.commission_account = self.revenue
        config.save()
        self.journal = Journal(name="Cards", currency=company.currency,
            company=company, process_method='manual')
        self.journal.save()

        russian, = Lang.search([('code', '=', 'ru')])
        russian.translatable = True
        russian.save()
        english, = Lang.search([('code', '=', 'en')])
        Translation.create([{
                        'lang': 'ru', 'type': 'report', 'name': name,
                        'res_id': -1, 'src': src, 'value': value,
                        'module': 'ev_billing',
                        } for name, src, value in REPORT_TRANSLATIONS]
            + [{
                    'lang': 'ru', 'type': 'model',
                    'name': 'ir.message,text',
                    'res_id': ModelData.get_id('ev_billing', xml_id),
                    'src': '', 'value': value, 'module': 'ev_billing',
                    } for xml_id, value in MESSAGE_TRANSLATIONS])
        Translation._translation_report_cache.clear()

        # Anna reads Russian (no language: the platform's), Bob English.
        self.anna, self.bob = Party.create([{
                    'name': "Anna Petrova", 'ev_client': True,
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'anna@example.com'}])],
                    }, {
                    'name': "Bob Smith", 'ev_client': True,
                    'lang': english.id,
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'bob@example.com'}])],
                    }])

    def payment(self, party, amount, ev_kind, **values):
        "Create a card payment of party, processing"
        pool = Pool()
        Payment = pool.get('account.payment')
        payment, = Payment.create([dict({
                        'company': self.journal.company.id,
                        'journal': self.journal.id,
                        'kind': 'receivable',
                        'party': party.id,
                        'amount': Decimal(amount),
                        'ev_kind': ev_kind,
                        }, **values)])
        Group = pool.get('account.payment.group')

        def group():
            group = Group(company=payment.company, journal=payment.journal,
                kind=payment.kind)
            group.save()
            return group
        # Receivable payments skip approval.
        Payment.submit([payment])
        Payment.process([payment], group)
        payment = Payment(payment.id)
        self.assertEqual(payment.state, 'processing')
        return payment

    def decline(self, payment, message="Your card was declined."):
        "Record the acquirer's refusal on the payment and fail it"
        Payment = Pool().get('account.payment')
        payment.stripe_error_code = 'card_declined'
        payment.stripe_error_message = message
        payment.save()
        Payment.fail([payment])
        return Payment(payment.id)

    def messages(self, payment):
        Message = Pool().get('ev.message')
        return Message.search([('resource', '=', str(payment))])

    def run_tasks(self):
        Queue = Pool().get('ir.queue')
        transaction = Transaction()
        while transaction.tasks:
            Queue(transaction.tasks.pop()).run()

    def emails(self, record):
        Email = Pool().get('ir.email')
        return Email.search([('resource', '=', str(record))])

    # Payment failures

    @with_transaction()
    def test_declined_hold(self):
        "A declined hold posts an error about the payment, at normal"
        with self.platform():
            hold = self.payment(self.anna, '1000', 'session',
                stripe_capture=False)
            hold = self.decline(hold)
            self.assertEqual(hold.state, 'failed')
            message, = self.messages(hold)
            self.assertEqual(message.kind, 'error')
            self.assertEqual(message.priority, 'normal')
            self.assertEqual(message.key, 'payment-failed:%s' % hold.id)
            self.assertEqual(message.resource, hold)
            self.assertIn("Anna Petrova", message.body)
            self.assertIn("1000", message.body)
            self.assertIn("Your card was declined.", message.body)

    @with_transaction()
    def test_declined_capture(self):
        "A declined capture leaves a debt: high; the same failure once"
        pool = Pool()
        Payment = pool.get('account.payment')
        Message = pool.get('ev.message')
        with self.platform():
            capture = self.payment(self.bob, '12.50', 'session',
                stripe_capture=True)
            capture = self.decline(capture, "Insufficient funds.")
            # Failed again (upstream on payment_intent.canceled): nothing.
            Payment.fail([capture])
            message, = self.messages(capture)
            self.assertEqual(message.priority, 'high')
            self.assertEqual(message.occurrences, 1)
            self.assertIn("Insufficient funds.", message.body)
            self.assertIn("Bob Smith", message.subject)

            # The same failure reported again only counts.
            Payment.ev_post_failures([capture])
            message, = self.messages(capture)
            self.assertEqual(message.occurrences, 2)
            self.assertEqual(Message.search_count([
                        ('key', '=', 'payment-failed:%s' % capture.id)]), 1)

    @with_transaction()
    def test_declined_fee_and_topup(self):
        "A fee charged to the saved card is high, the client's top-up low"
        with self.platform():
            fee = self.payment(self.anna, '300', 'topup',
                stripe_customer_payment_method='pm_card')
            topup = self.payment(self.anna, '500', 'topup')
            fee, topup = self.decline(fee), self.decline(topup)
            message, = self.messages(fee)
            self.assertEqual(message.priority, 'high')
            message, = self.messages(topup)
            self.assertEqual(message.priority, 'low')

    @with_transaction()
    def test_released_hold_no_message(self):
        "A hold released on purpose, without a refusal, posts nothing"
        pool = Pool()
        Payment = pool.get('account.payment')
        with self.platform():
            hold = self.payment(self.anna, '1000', 'session')
            Payment.fail([hold])
            self.assertEqual(Payment(hold.id).state, 'failed')
            self.assertEqual(self.messages(hold), [])

    # Receipts

    def session_invoice(self, company, party):
        "Create and return the draft invoice of a session of party"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Partner = pool.get('ev.partner')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        Session = pool.get('ev.session')
        Address = pool.get('party.address')
        Journal = pool.get('account.journal')
        partner, = Partner.search([], limit=1) or Partner.create([{
                    'legal_name': "Volt",
                    'contact_email': 'volt@example.com',
                    }])
        station = Station(name="Moscow Centre", identity='MSK-%s' % party.id,
            partner=partner.party, connectors=[Connector(
                    number=1, evse=1,
                    type=ConnectorType.search([], limit=1)[0],
                    max_power=Decimal('50'))])
        station.save()
        start = dt.datetime(2026, 3, 2, 9)
        session, = Session.create([{
                    'station': station.id,
                    'connector': station.connectors[0].id,
                    'client': party.id,
                    'start_at': start,
                    'stop_at': start + dt.timedelta(hours=1),
                    'energy_wh': 21500,
                    'net_amount': Decimal('10.00'),
                    'tax_amount': Decimal('0'),
                    'amount': Decimal('10.00'),
                    'partner_amount': Decimal('8.00'),
                    'commission_amount': Decimal('2.00'),
                    'state': 'finished',
                    }])
        address = Address(party=party)
        address.save()
        journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        invoice, = Invoice.create([{
                    'company': company.id,
                    'journal': journal.id,
                    'type': 'out',
                    'party': party.id,
                    'invoice_address': address.id,
                    'currency': company.currency.id,
                    'account': self.receivable.id,
                    'lines': [('create', [{
                                    'type': 'line',
                                    'company': company.id,
                                    'currency': company.currency.id,
                                    'account': self.revenue.id,
                                    'quantity': 1,
                                    'unit_price': Decimal('10.00'),
                                    'ev_session': session.id,
                                    'ev_station': station.id,
                                    }])],
                    }])
        return invoice

    @with_transaction()
    def test_invoice_receipt(self):
        "A posted session invoice e-mails one receipt, in the language"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        with self.platform() as company:
            russian = self.session_invoice(company, self.anna)
            english = self.session_invoice(company, self.bob)
            Invoice.post([russian, english])
            self.run_tasks()
            # Posted again (a retried task, a second run): still one.
            Invoice.ev_send_receipts([russian, english])
            self.run_tasks()

            email, = self.emails(russian)
            self.assertEqual(email.ev_state, 'queued')
            self.assertEqual(email.recipients,
                'Anna Petrova <anna@example.com>')
            self.assertEqual(email.subject,
                "Чек по счёту %s" % russian.number)
            msg = message_from_bytes(email.ev_mime, policy=policy.default)
            self.assertEqual(msg['Content-Language'], 'ru')
            body = msg.get_body(('html',)).get_content()
            self.assertIn("Чек за зарядку", body)
            self.assertIn("Moscow Centre", body)

            email, = self.emails(english)
            self.assertEqual(email.subject,
                "Receipt for invoice %s" % english.number)
            self.assertEqual(email.recipients, 'Bob Smith <bob@example.com>')
            msg = message_from_bytes(email.ev_mime, policy=policy.default)
            self.assertEqual(msg['Content-Language'], 'en')
            self.assertIn("Charging receipt",
                msg.get_body(('html',)).get_content())

    @with_transaction()
    def test_no_receipt(self):
        "No receipt for a client without e-mail nor for a credit note"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        ContactMechanism = pool.get('party.contact_mechanism')
        with self.platform() as company:
            ContactMechanism.delete(list(self.anna.contact_mechanisms))
            no_email = self.session_invoice(company, self.anna)
            credit_note = self.session_invoice(company, self.bob)
            credit_note.lines[0].unit_price = Decimal('-10.00')
            credit_note.lines[0].save()
            Invoice.post([no_email, credit_note])
            self.run_tasks()
            self.assertEqual(self.emails(no_email), [])
            self.assertEqual(self.emails(credit_note), [])

    @with_transaction()
    def test_topup_receipt(self):
        "A top-up the card paid e-mails its receipt once"
        pool = Pool()
        Payment = pool.get('account.payment')
        with self.platform():
            topup = self.payment(self.bob, '500', 'topup')
            Payment.succeed([topup])
            self.run_tasks()
            Payment.ev_send_receipts([topup])
            email, = self.emails(topup)
            self.assertEqual(email.ev_state, 'queued')
            self.assertEqual(email.recipients, 'Bob Smith <bob@example.com>')
            self.assertIn("500", email.subject)
            self.assertTrue(email.subject.startswith(
                    "Receipt for your top-up"))

    # Settlement statements

    @with_transaction()
    def test_settlement_statement(self):
        "The statement goes through the outbox in the partner's language"
        pool = Pool()
        Partner = pool.get('ev.partner')
        Settlement = pool.get('ev.billing.settlement')
        Lang = pool.get('ir.lang')
        with self.platform() as company:
            english, = Lang.search([('code', '=', 'en')])
            partner, = Partner.create([{
                        'legal_name': "Volt GmbH",
                        'contact_email': 'books@volt.example',
                        'lang': english.id,
                        }])
            settlement, = Settlement.create([{
                        'company': company.id,
                        'partner': partner.id,
                        'currency': company.currency.id,
                        'start_date': dt.date(2026, 1, 1),
                        'end_date': dt.date(2026, 1, 31),
                        }])
            Settlement.send([settlement])
            email, = self.emails(settlement)
            self.assertEqual(email.ev_state, 'queued')
            self.assertIn('books@volt.example', email.recipients)
            self.assertEqual(email.subject,
                "Settlement statement %s" % settlement.rec_name)
            self.assertTrue(email.ev_resendable is False)
            self.assertTrue(email.ev_mime)
            self.assertTrue(Settlement(settlement.id).sent_at)
