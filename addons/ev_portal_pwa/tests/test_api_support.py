# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Support requests over HTTP: the client writes, about a session if they
like, staff reply in the request's chat, and the client reads the public
replies in the app and by e-mail, never the internal notes"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import set_company
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from . import test_api

RU_MESSAGES = [
    ('msg_support_text_required', "Напишите сообщение."),
    ('msg_support_reply_subject', "Ответ поддержки: %(subject)s"),
    ('msg_session_not_found', "Сессия не найдена."),
    ]
OPERATOR = 'support-operator'


class SupportTestCase(test_api.ApiHelpers, RouteTestCase):
    "Test the support requests of the client API"
    module = 'ev_portal_pwa'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        test_api.setup_network()
        test_api.translate_messages(RU_MESSAGES)
        User.create([{
                    'login': OPERATOR,
                    'name': "Olga Support",
                    'groups': [('add', [ModelData.get_id(
                                    'ev_partner', 'group_ev_operator')])],
                    }])

    def login(self, who):
        "Return the client of who logged in (in Russian) and its e-mail"
        email = '%s.%s@example.com' % (who, self._testMethodName)
        return self.client_logged_in(email, who.title()), email

    def session(self, email):
        "Create a finished session of the client of email and return its id"
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            Station = pool.get('ev.station')
            Session = pool.get('ev.session')
            Party = pool.get('party.party')
            company, = Company.search([])
            party, = Party.search([
                    ('contact_mechanisms.value', '=', email)])
            station, = Station.search([('name', '=', "Moscow Centre")])
            stop_at = utcnow() - dt.timedelta(hours=1)
            with set_company(company):
                session, = Session.create([{
                            'company': company.id,
                            'station': station.id,
                            'connector': station.connectors[0].id,
                            'client': party.id,
                            'start_at': stop_at - dt.timedelta(hours=1),
                            'stop_at': stop_at,
                            'energy_wh': 15000,
                            'currency': company.currency.id,
                            'amount': Decimal('12.34'),
                            'state': 'finished',
                            }])
            transaction.commit()
            return session.id

    def create(self, client, **values):
        response = self.call(client, 'POST', 'support', values)
        self.assertEqual(response.status_code, 201, response.get_data())
        return response.get_json()

    def get(self, client, path):
        response = client.get(self.url(path))
        self.assertEqual(response.status_code, 200, response.get_data())
        return response.get_json()

    def staff_post(self, request_id, text, audience):
        """Post text in the request's chat as the operator, as sao does;
        return the e-mails the outbox queued before the commit"""
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            User = pool.get('res.user')
            operator, = User.search([('login', '=', OPERATOR)])
        with Transaction().start(DB_NAME, operator.id) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Email = pool.get('ir.email')
            Channel.post('ev.message,%s' % request_id, text, audience)
            queued = [(e.recipients, e.subject, e.ev_state)
                for e in Email.search([
                        ('resource', '=', 'ev.message,%s' % request_id),
                        ])]
            transaction.commit()
        return queued

    def record(self, request_id):
        "Return the state, kind, priority, key and resource of the request"
        with Transaction().start(DB_NAME, 0):
            Message = Pool().get('ev.message')
            message = Message(request_id)
            return (message.state, message.kind, message.priority,
                message.key, str(message.resource) if message.resource
                else None, message.web_user.email)

    def test_create_and_list(self):
        "The client writes about a session and lists the request"
        alice, email = self.login('alice')
        session = self.session(email)
        created = self.create(alice, subject="Charger stopped",
            text="It stopped after 5 minutes.\nPlease check.",
            session=session)
        self.assertEqual(created['subject'], "Charger stopped")
        self.assertEqual(created['state'], 'open')
        self.assertEqual(created['session'], session)
        self.assertFalse(created['unread'])
        message, = created['messages']
        self.assertEqual(message['author'], 'client')
        self.assertEqual(message['text'],
            "It stopped after 5 minutes.\nPlease check.")
        self.assertEqual(self.record(created['id']), ('new', 'support',
                'normal', None, 'ev.session,%s' % session, email))

        # Without a subject: the first line of the text
        other = self.create(alice, text="Where is my receipt?\nThanks")
        self.assertEqual(other['subject'], "Where is my receipt?")
        self.assertIsNone(other['session'])

        requests = self.get(alice, 'support')['requests']
        self.assertEqual([r['id'] for r in requests],
            [other['id'], created['id']])
        self.assertEqual(requests[1]['state'], 'open')

        thread = self.get(alice, 'support/%s' % created['id'])
        self.assertEqual([m['text'] for m in thread['messages']],
            ["It stopped after 5 minutes.\nPlease check."])

    def test_isolation(self):
        "A client sees and writes to their own requests only"
        alice, _ = self.login('alice')
        bob, _ = self.login('bob')
        request = self.create(alice, text="Alice's secret question")
        self.assertEqual(self.get(bob, 'support')['requests'], [])
        self.assertError(bob.get(self.url(
                    'support/%s' % request['id'])), 404,
            'msg_support_not_found')
        self.assertError(self.call(bob, 'POST',
                'support/%s/messages' % request['id'], {'text': "Hi"}),
            404, 'msg_support_not_found')
        self.assertNotIn("Alice's secret", bob.get(
                self.url('support')).get_data(as_text=True))
        # Logged out: no requests at all.
        self.assertError(self.client().get(self.url('support')),
            401, 'msg_api_not_logged_in')

    def test_session_of_another_client(self):
        "A request may not concern another client's session"
        alice, _ = self.login('alice')
        _, bob = self.login('bob')
        bob_session = self.session(bob)
        error = self.assertError(self.call(alice, 'POST', 'support', {
                    'text': "About this", 'session': bob_session}),
            404, 'msg_session_not_found')
        self.assertEqual(error['message'], "Сессия не найдена.")
        self.assertEqual(self.get(alice, 'support')['requests'], [])

    def test_text_refused(self):
        "An empty text is refused, translated; so is a too long one"
        alice, _ = self.login('alice')
        error = self.assertError(self.call(alice, 'POST', 'support', {
                    'subject': "Hello", 'text': "  \n "}),
            400, 'msg_support_text_required')
        self.assertEqual(error['message'], "Напишите сообщение.")
        self.assertError(self.call(alice, 'POST', 'support', {
                    'text': 'x' * 4001}), 400, 'msg_support_text_too_long')
        request = self.create(alice, text='x' * 4000)
        self.assertError(self.call(alice, 'POST',
                'support/%s/messages' % request['id'], {'text': ''}),
            400, 'msg_support_text_required')
        self.assertEqual(len(self.get(alice, 'support')['requests']), 1)

    def test_flood_refused(self):
        "A client writes at most so many requests and messages an hour"
        self.override_config('ev_portal_pwa', 'support_limit', '2')
        self.override_config('ev_portal_pwa', 'support_message_limit', '1')
        alice, _ = self.login('alice')
        bob, _ = self.login('bob')
        request = self.create(alice, text="First")
        self.create(alice, text="Second")
        self.assertError(self.call(alice, 'POST', 'support', {
                    'text': "Third"}), 429, 'msg_api_too_many_requests')
        # Per client: Bob still writes.
        self.create(bob, text="Mine")
        path = 'support/%s/messages' % request['id']
        response = self.call(alice, 'POST', path, {'text': "More"})
        self.assertEqual(response.status_code, 201, response.get_data())
        self.assertError(self.call(alice, 'POST', path, {'text': "Again"}),
            429, 'msg_api_too_many_requests')
        self.assertEqual(len(self.get(alice, 'support')['requests']), 2)

    def test_public_reply(self):
        """A public reply of staff shows in the app, unread until read, in
        the notification feed, and is e-mailed in the client's language"""
        alice, email = self.login('alice')
        request = self.create(alice, subject="Card refused",
            text="My card was refused.")
        queued = self.staff_post(request['id'],
            "We refunded you.\nSorry!", 'public')
        self.assertEqual(queued, [
                (email, "Ответ поддержки: Card refused", 'queued')])
        msg, = [m for m in self.sent if m['To'] == email]
        self.assertIn("We refunded you.", self.body(msg))
        self.assertIn('/ev/app/#/support/%s' % request['id'],
            self.body(msg))

        listed, = self.get(alice, 'support')['requests']
        self.assertEqual(listed['state'], 'answered')
        self.assertTrue(listed['unread'])
        feed = self.get(alice, 'notifications')['notifications']
        reply, = [i for i in feed if i['kind'] == 'support_reply']
        self.assertEqual(reply['url'], '#/support/%s' % request['id'])
        self.assertIn("We refunded you.", reply['body'])

        thread = self.get(alice, 'support/%s' % request['id'])
        self.assertEqual(
            [(m['author'], m['name'], m['text']) for m in thread['messages']],
            [('client', "Alice", "My card was refused."),
                ('support', "Olga Support", "We refunded you.\nSorry!")])
        # Read now.
        listed, = self.get(alice, 'support')['requests']
        self.assertFalse(listed['unread'])
        self.assertEqual(self.record(request['id'])[0], 'acknowledged')

    def test_internal_note(self):
        "An internal note of staff is never shown nor e-mailed to the client"
        alice, email = self.login('alice')
        request = self.create(alice, text="Is the station open at night?")
        queued = self.staff_post(request['id'], "Ask the partner first",
            'internal')
        self.assertEqual(queued, [])
        self.assertEqual([m for m in self.sent if m['To'] == email], [])
        thread = self.get(alice, 'support/%s' % request['id'])
        self.assertEqual([m['text'] for m in thread['messages']],
            ["Is the station open at night?"])
        self.assertEqual(thread['state'], 'open')
        self.assertFalse(thread['unread'])
        feed = self.get(alice, 'notifications')['notifications']
        self.assertEqual([i for i in feed if i['kind'] == 'support_reply'],
            [])

    def test_reopen(self):
        "The client's new message makes a resolved request new again"
        alice, _ = self.login('alice')
        request = self.create(alice, text="The app shows no stations")
        self.staff_post(request['id'], "Fixed now.", 'public')
        with Transaction().start(DB_NAME, 0) as transaction:
            Message = Pool().get('ev.message')
            Message.resolve([Message(request['id'])])
            transaction.commit()
        self.assertEqual(self.get(alice, 'support/%s' % request['id'])[
                'state'], 'resolved')

        response = self.call(alice, 'POST',
            'support/%s/messages' % request['id'],
            {'text': "It happens again."})
        self.assertEqual(response.status_code, 201, response.get_data())
        written = response.get_json()
        self.assertEqual((written['author'], written['text']),
            ('client', "It happens again."))
        self.assertEqual(self.record(request['id'])[0], 'new')
        thread = self.get(alice, 'support/%s' % request['id'])
        self.assertEqual(thread['state'], 'open')
        self.assertEqual([m['author'] for m in thread['messages']],
            ['client', 'support', 'client'])
