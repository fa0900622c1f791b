# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import json
import unittest
from email.message import EmailMessage
from unittest.mock import patch

from trytond.exceptions import UserError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


class MessageCentreTestCase(unittest.TestCase):
    "Test the operator message centre and the e-mail outbox"

    @classmethod
    def setUpClass(cls):
        activate_module('ev_partner')

    def _group(self, name):
        return Pool().get('ir.model.data').get_id('ev_partner', name)

    def _user(self, login, group, partner=None, emails=None):
        User = Pool().get('res.user')
        user = User(login=login, name=login.title(),
            email='%s@example.com' % login, ev_partner=partner,
            groups=[self._group(group)])
        user.save()
        if emails is not None:
            User.write([user], {'emails': [('delete', [e.id
                                for e in user.emails])]
                + [('create', emails)]})
        return User(user.id)

    def _partner(self, name):
        Partner = Pool().get('ev.partner')
        partner = Partner(legal_name=name,
            contact_email='%s@example.com' % name.lower())
        partner.save()
        return partner

    def _network(self):
        volt = self._partner("Volt")
        neva = self._partner("Neva")
        users = {
            'operator': self._user('operator', 'group_ev_operator'),
            'tech': self._user('tech', 'group_ev_partner_technician', volt),
            'accountant': self._user(
                'accountant', 'group_ev_partner_accountant', volt),
            'other': self._user('other', 'group_ev_partner_technician',
                neva),
            }
        return volt, neva, users

    def _queued(self):
        "Return the (email, message) the outbox queued in this transaction"
        from trytond.modules.ev_partner.outbox import OutboxDataManager
        for manager in Transaction()._datamanagers:
            if isinstance(manager, OutboxDataManager):
                return list(zip(manager.emails,
                        [m for _, _, m in manager.queue]))
        return []

    @with_transaction()
    def test_station_message_reaches_operator_and_own_technician(self):
        "A station message reaches the operators and the partner's staff"
        pool = Pool()
        Message = pool.get('ev.message')
        Notification = pool.get('res.notification')
        Email = pool.get('ir.email')
        company = create_company()
        with set_company(company):
            volt, neva, users = self._network()
            message = Message.post('station',
                ('ev_partner.msg_email_failed_subject', {}),
                "Connector 1 is faulted.", priority='high',
                key='fault:1', partner=volt.party, resource=volt)

            self.assertEqual(message.state, 'new')
            # The administrator is an EV administrator too.
            admin = pool.get('res.user')(1)
            self.assertEqual(set(message.recipients),
                {admin, users['operator'], users['tech']})
            notified = Notification.search([
                    ('model', '=', 'ev.message')])
            self.assertEqual({n.user for n in notified},
                {admin, users['operator'], users['tech']})
            self.assertEqual({json.loads(n.records)[0] for n in notified},
                {message.id})
            self.assertEqual(notified[0].label, message.title)
            # The shipped rules e-mail operators and technicians.
            emails = Email.search([('resource', '=', str(message))])
            self.assertEqual(sorted(e.recipients for e in emails),
                ['operator@example.com', 'tech@example.com'])
            self.assertEqual({e.ev_state for e in emails}, {'queued'})
            self.assertEqual(len(self._queued()), 2)
            _, msg = self._queued()[0]
            self.assertIn(message.title, msg['Subject'])
            html = msg.get_body(('html',)).get_content()
            self.assertIn("Connector 1 is faulted.", html)
            self.assertIn('/model/ev.message/%s' % message.id, html)

            # The same fault again: one more occurrence, no one told again.
            again = Message.post('station', "Fault", priority='urgent',
                key='fault:1', partner=volt.party)
            self.assertEqual(again, message)
            message = Message(message.id)
            self.assertEqual(message.occurrences, 2)
            self.assertEqual(message.priority, 'urgent')
            self.assertEqual(Notification.search([], count=True), 3)

            # Fixed: resolved, and the next fault is a new message.
            self.assertEqual(Message.resolve_key('fault:1'), [message])
            self.assertEqual(Message(message.id).state, 'resolved')
            self.assertNotEqual(Message.post('station', "Fault",
                    key='fault:1', partner=volt.party), message)

    @with_transaction()
    def test_partner_staff_read_only_their_network(self):
        "The record rules confine partner staff to their network"
        pool = Pool()
        Message = pool.get('ev.message')
        company = create_company()
        with set_company(company):
            volt, neva, users = self._network()
            own = Message.post('station', "Volt fault", partner=volt.party)
            other = Message.post('station', "Neva fault", partner=neva.party)
            error = Message.post('error', "Database slow")
            mine = Message.post('confirmation', "Reset done",
                initiator=users['other'])
            with Transaction().set_user(users['tech'].id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(Message.search([]), [own])
                Message.acknowledge([Message(own.id)])
            with Transaction().set_user(users['other'].id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(set(Message.search([])), {other, mine})
            with Transaction().set_user(users['operator'].id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(set(Message.search([])),
                    {own, other, error, mine})
            self.assertEqual(Message(own.id).state, 'acknowledged')
            self.assertEqual(Message(own.id).acknowledged_by, users['tech'])

    @with_transaction()
    def test_confirmation_reaches_initiator_only(self):
        "A confirmation goes to whoever started the operation"
        pool = Pool()
        Message = pool.get('ev.message')
        Notification = pool.get('res.notification')
        company = create_company()
        with set_company(company):
            volt, neva, users = self._network()
            message = Message.post('confirmation', "Reset accepted",
                initiator=users['tech'], partner=volt.party)
            self.assertEqual(list(message.recipients), [users['tech']])
            notification, = Notification.search([])
            self.assertEqual(notification.user, users['tech'])
            self.assertEqual(notification.icon, 'tryton-ok')

    @with_transaction()
    def test_email_addresses_and_rules(self):
        """E-mails go to the addresses chosen for alerts, and only where a
        rule says so"""
        pool = Pool()
        Message = pool.get('ev.message')
        Rule = pool.get('ev.message.rule')
        Email = pool.get('ir.email')
        company = create_company()
        with set_company(company):
            volt = self._partner("Volt")
            tech = self._user('tech', 'group_ev_partner_technician', volt,
                emails=[
                    {'email': 'tech@example.com', 'primary': True,
                        'notify_alerts': False},
                    {'email': 'pager@example.com',
                        'notify_alerts': True},
                    ])
            message = Message.post('station', "Fault", partner=volt.party)
            email, = Email.search([('resource', '=', str(message))])
            self.assertEqual(email.recipients, 'pager@example.com')
            self.assertEqual(tech.ev_addresses_for('receipts'),
                ['tech@example.com', 'pager@example.com'])

            # Below the rules' minimum priority: sao only.
            low = Message.post('station', "Low", priority='low',
                partner=volt.party)
            self.assertEqual(Email.search(
                    [('resource', '=', str(low))]), [])
            self.assertIn(tech, low.recipients)
            # No rule for information messages.
            info = Message.post('info', "Summary", priority='urgent',
                partner=volt.party)
            self.assertEqual(Email.search(
                    [('resource', '=', str(info))]), [])
            # A rule for all kinds without group reaches everyone.
            Rule(name="All", priority='high').save()
            info = Message.post('info', "Summary 2", priority='urgent',
                partner=volt.party)
            self.assertEqual(len(Email.search(
                        [('resource', '=', str(info))])), 1)

    @with_transaction()
    def test_translated_subject(self):
        "A message posted from ir.message reads in each reader's language"
        pool = Pool()
        Message = pool.get('ev.message')
        Lang = pool.get('ir.lang')
        lang, = Lang.search([('code', '=', 'ru')])
        lang.translatable = True
        lang.save()
        Lang.load_translations([lang])
        message = Message.post('error',
            ('ev_partner.msg_job_failed_subject', {'job': 'cron'}))
        self.assertEqual(message.subject, "Scheduled job failed: cron")
        with Transaction().set_context(language='ru'):
            self.assertNotEqual(Message(message.id).title, message.subject)
            self.assertIn('cron', Message(message.id).title)
        self.assertEqual(Message.search([('title', 'ilike', '%job%')]),
            [message])

    @with_transaction()
    def test_outbox_records_delivery_and_resends(self):
        "The outbox writes each delivery's result and resends kept e-mails"
        pool = Pool()
        Email = pool.get('ir.email')
        Message = pool.get('ev.message')
        from trytond.modules.ev_partner.outbox import deliver
        msg = EmailMessage()
        msg['To'] = 'client@example.com'
        msg['Subject'] = "Receipt"
        msg.set_content("Thank you")
        kept = deliver(msg)
        secret = EmailMessage()
        secret['To'] = 'client@example.com'
        secret['Subject'] = "Your link"
        secret.set_content("https://example.com/?token=secret")
        unkept = deliver(secret, keep=False)
        self.assertTrue(kept.ev_mime)
        self.assertFalse(unkept.ev_mime)
        self.assertEqual(kept.ev_state, 'queued')

        Email.ev_record({kept.id: None, unkept.id: "550 mailbox full"})
        kept, unkept = Email(kept.id), Email(unkept.id)
        self.assertEqual((kept.ev_state, kept.ev_attempts), ('sent', 1))
        self.assertTrue(kept.ev_sent_at)
        self.assertEqual(unkept.ev_state, 'failed')
        self.assertEqual(unkept.ev_error, "550 mailbox full")
        error, = Message.search([('kind', '=', 'error')])
        self.assertEqual(error.key, 'email-delivery')
        self.assertEqual(error.resource.rec_name, "Your link")
        self.assertIn("550 mailbox full", error.description)
        self.assertEqual(error.priority, 'high')

        # The secret was not kept: it cannot be sent again.
        with self.assertRaises(UserError):
            Email.ev_resend([unkept])
        before = len(self._queued())
        Email.ev_resend([kept])
        self.assertEqual(Email(kept.id).ev_state, 'queued')
        queued = self._queued()
        self.assertEqual(len(queued), before + 1)
        self.assertEqual(queued[-1][0], kept.id)
        self.assertEqual(queued[-1][1]['Subject'], "Receipt")

    @with_transaction()
    def test_failed_job_is_a_system_error(self):
        "An ir.error of a scheduled job posts a system error, once"
        pool = Pool()
        Error = pool.get('ir.error')
        Cron = pool.get('ir.cron')
        Message = pool.get('ev.message')
        cron, = Cron.search([
                ('method', '=', 'ev.message|post_daily_summary')])
        Error.create([{'origin': str(cron), 'message': "Boom"}])
        Error.create([{'origin': str(cron), 'message': "Boom again"}])
        message, = Message.search([('kind', '=', 'error')])
        self.assertEqual(message.occurrences, 2)
        self.assertIn("Boom", message.description)
        self.assertEqual(message.priority, 'high')

    @with_transaction()
    def test_server_error_handler_reports(self):
        "An unexpected exception the dispatcher logs is reported"
        import logging

        from trytond.modules.ev_partner import system_error
        logger = logging.getLogger('trytond.protocols.dispatcher')
        self.assertIn(system_error._handler, logger.handlers)
        with patch.object(system_error, 'report_later') as report:
            try:
                raise KeyError('missing')
            except KeyError:
                logger.exception("model.x.y")
            try:
                raise UserError("the user's mistake")
            except UserError:
                logger.exception("model.x.y")
        report.assert_called_once()
        (_, subject, body), kwargs = report.call_args
        self.assertEqual(subject[1], {'error': 'KeyError'})
        self.assertIn("model.x.y", body)

    @with_transaction()
    def test_daily_summary(self):
        "The daily summary is posted once a day, for the platform"
        import datetime as dt
        pool = Pool()
        Message = pool.get('ev.message')
        Message.post('error', "Open error", priority='urgent')
        day = dt.date(2026, 11, 27)
        Message.post_daily_summary(day)
        Message.post_daily_summary(day)
        summary, = Message.search([('kind', '=', 'info')])
        self.assertEqual(summary.state, 'resolved')
        self.assertIn("1", summary.description)
        self.assertIn("2026-11-27", summary.title)

    @with_transaction()
    def test_chat_follows_record_rules(self):
        "Partner staff may not write in the chat of a message they can't read"
        from trytond.model.exceptions import AccessError
        pool = Pool()
        Message = pool.get('ev.message')
        Channel = pool.get('ir.chat.channel')
        company = create_company()
        with set_company(company):
            volt, neva, users = self._network()
            support = Message.post('support', "My session was not billed")
            station = Message.post('station', "Fault", partner=volt.party)
            with Transaction().set_user(users['tech'].id):
                with self.assertRaises(AccessError):
                    Channel.post(str(support), "Hello", audience='public')
                Channel.post(str(station), "On my way", audience='internal')
            with Transaction().set_user(users['operator'].id):
                Channel.post(str(support), "We are on it",
                    audience='public')
            self.assertEqual(
                [m['content'] for m in Channel.get(str(station))],
                ["On my way"])
