# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The public application form, the e-mails of the partner lifecycle and
the staff invitations"""
import base64
import datetime as dt
import io
import re
import urllib.parse
from email.utils import getaddresses
from importlib import import_module
from unittest.mock import patch

import trytond.config as config
from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.modules.company.tests import create_company
from trytond.modules.ev_partner.invitation import hash_token
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, RouteTestCase, with_transaction)
from trytond.transaction import Transaction, check_access
from trytond.wsgi import app

# Under pytest the package is also imported as "ev_partner": the routes
# (and rate limiters) the server answers with are those imported first,
# which depends on the order of the test files. Both get cleared.
from .. import routes
from trytond.modules.ev_partner import routes as trytond_routes  # noqa: I

FROM = 'noreply@ev.example'
PDF = b'%PDF-1.4\n% test document\n'
PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 16

# A few Russian strings, as ru.po ships them: enough to see which language
# the pages and e-mails are rendered in, whatever ru.po holds.
REPORT_TRANSLATIONS = [
    ('ev.partner.application.page', "Join the EV charging network",
        "Подключение к электрозарядной сети"),
    ('ev.partner.email_application_received', "Application received",
        "Заявка получена"),
    ('ev.partner.email_partner_suspended', "Reason:", "Причина:"),
    ('ev.partner.invitation.email', "Accept the invitation",
        "Принять приглашение"),
    ('ev.partner.invitation.page', "Create my account",
        "Создать учётную запись"),
    ]
SUBJECT_TRANSLATIONS = [
    ('notification_application_received',
        "Заявка получена: ${record.legal_name}"),
    ('notification_partner_review',
        "Ваша заявка на рассмотрении: ${record.legal_name}"),
    ]
MESSAGE_TRANSLATIONS = [
    ('msg_application_consent',
        "Подтвердите согласие на обработку персональных данных."),
    ]

APPLICATION = {
    'legal_name': "Volt Charging LLC",
    'country': 'RU',
    'inn': '7707083893',
    'kpp': '773601001',
    'ogrn': '1027700132195',
    'legal_address': "ul. Vavilova 19, Moscow",
    'bank_name': "Sberbank",
    'bank_bic': '044525225',
    'bank_account': '40702810938000000001',
    'bank_correspondent_account': '30101810400000000225',
    'contact_name': "Irina Sokolova",
    'contact_email': 'irina@volt.example',
    'contact_phone': '+7 495 000-00-01',
    'website': 'https://volt.example',
    'consent': '1',
    }


def set_translations():
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    ModelData = pool.get('ir.model.data')
    russian, = Lang.search([('code', '=', 'ru')])
    russian.translatable = True
    russian.save()
    vlist = [{
            'lang': 'ru', 'type': 'report', 'name': name, 'res_id': -1,
            'src': src, 'value': value, 'module': 'ev_partner',
            } for name, src, value in REPORT_TRANSLATIONS]
    for xml_id, value in SUBJECT_TRANSLATIONS:
        vlist.append({
                'lang': 'ru', 'type': 'model',
                'name': 'notification.email,subject',
                'res_id': ModelData.get_id('ev_partner', xml_id),
                'src': '', 'value': value, 'module': 'ev_partner',
                })
    for xml_id, value in MESSAGE_TRANSLATIONS:
        vlist.append({
                'lang': 'ru', 'type': 'model', 'name': 'ir.message,text',
                'res_id': ModelData.get_id('ev_partner', xml_id),
                'src': '', 'value': value, 'module': 'ev_partner',
                })
    Translation.create(vlist)
    Translation._translation_report_cache.clear()


def setup_platform():
    "Create the operator's company, Russia and the languages"
    pool = Pool()
    Country = pool.get('country.country')
    User = pool.get('res.user')
    company = create_company()
    Country.create([
            {'name': "Russia", 'code': 'RU'},
            {'name': "Germany", 'code': 'DE'},
            ])
    admin = User(1)
    admin.companies = [company]
    admin.company = company
    admin.save()
    set_translations()
    return company


def get_lang(code):
    Lang = Pool().get('ir.lang')
    lang, = Lang.search([('code', '=', code)])
    return lang


class ApplicationTestCase(RouteTestCase):
    "Test the partner application, its e-mails and the staff invitations"
    module = 'ev_partner'

    @classmethod
    def setUpDatabase(cls):
        setup_platform()

    def setUp(self):
        super().setUp()
        reset_from = config.get('email', 'from', default='')
        config.set('email', 'from', FROM)
        self.addCleanup(config.set, 'email', 'from', reset_from)
        reset_length = config.get('password', 'length', default='0')
        config.set('password', 'length', '8')
        self.addCleanup(config.set, 'password', 'length', reset_length)
        for module in {routes, trytond_routes}:
            module.application_limiter.clear()
            module.invitation_limiter.clear()
        # Every message handed to the outbox: notifications and invitations.
        self.sent = []
        patcher = patch(
            'trytond.modules.ev_partner.outbox.OutboxDataManager.put',
            side_effect=self.queued)
        patcher.start()
        self.addCleanup(patcher.stop)
        # None may go out around it.
        for module in [
                'trytond.modules.notification_email.notification',
                'trytond.modules.ev_partner.invitation']:
            if hasattr(import_module(module), 'send_message_transactional'):
                patcher = patch('%s.send_message_transactional' % module,
                    side_effect=AssertionError("sent around the outbox"))
                patcher.start()
                self.addCleanup(patcher.stop)

    def queued(self, from_addr, to_addrs, msg):
        self.sent.append(msg)

    def run_tasks(self):
        pool = Pool()
        Queue = pool.get('ir.queue')
        transaction = Transaction()
        while transaction.tasks:
            task = Queue(transaction.tasks.pop())
            task.run()

    def body(self, msg):
        part = msg.get_body(('html', 'plain'))
        return part.get_content()

    def url(self, path):
        return '/%s/ev_partner/%s' % (DB_NAME, path)

    @classmethod
    def count(cls, model, domain=None):
        with Transaction().start(DB_NAME, 0, readonly=True):
            return Pool().get(model).search_count(domain or [])

    def _partner(self, lang='en', **values):
        pool = Pool()
        Partner = pool.get('ev.partner')
        Company = pool.get('company.company')
        company, = Company.search([], limit=1)
        values.setdefault('legal_name', "Volt Charging LLC")
        values.setdefault('contact_email', 'irina@volt.example')
        with Transaction().set_context(company=company.id):
            partner, = Partner.create([dict(values,
                        company=company.id, lang=get_lang(lang).id)])
        return partner

    # The form

    def test_form_russian_by_default(self):
        "The form is in Russian unless the visitor asks for English"
        client = self.client()
        response = client.get(self.url('apply'))
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('lang="ru"', page)
        self.assertIn("Подключение к электрозарядной сети", page)
        self.assertIn('name="homepage"', page)
        self.assertIn('type="file"', page)
        self.assertNotIn('<script', page)
        self.assertEqual(response.headers['X-Frame-Options'], 'DENY')

        for kwargs in [
                {'query_string': {'lang': 'en'}},
                {'headers': [('Accept-Language', 'en-GB,en;q=0.8')]}]:
            with self.subTest(**kwargs):
                page = client.get(self.url('apply'), **kwargs).get_data(
                    as_text=True)
                self.assertIn('lang="en"', page)
                self.assertIn("Join the EV charging network", page)
        page = client.get(self.url('apply'), headers=[
                ('Accept-Language', 'de-DE')]).get_data(as_text=True)
        self.assertIn('lang="ru"', page)

    def test_apply_form(self):
        "A posted form creates an application with its documents"
        client = self.client()
        data = dict(APPLICATION, lang='en', documents=[
                (io.BytesIO(PDF), 'устав.pdf'),
                (io.BytesIO(PNG), '../../scan.png'),
                ])
        response = client.post(self.url('apply'), data=data,
            content_type='multipart/form-data')
        page = response.get_data(as_text=True)
        self.assertEqual(response.status_code, 200, page)
        self.assertIn("Volt Charging LLC", page)
        self.assertIn('irina@volt.example', page)

        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Partner = pool.get('ev.partner')
            Attachment = pool.get('ir.attachment')
            partner, = Partner.search([
                    ('contact_email', '=', 'irina@volt.example')])
            self.assertEqual(partner.state, 'application')
            self.assertEqual(partner.origin, 'web')
            self.assertEqual(partner.lang.code, 'en')
            self.assertEqual(partner.country.code, 'RU')
            self.assertEqual(partner.party.lang.code, 'en')
            attachments = Attachment.search([
                    ('resource', '=', str(partner))], order=[('name', 'ASC')])
            self.assertEqual(
                [(a.name, bytes(a.data)) for a in attachments],
                [('scan.png', PNG), ('устав.pdf', PDF)])

        # The confirmation went out when the request committed.
        msg, = self.sent
        self.assertEqual(msg['To'], 'Volt Charging LLC <irina@volt.example>')
        self.assertEqual(msg['Subject'],
            'Application received: Volt Charging LLC')
        self.assertEqual(msg['Content-Language'], 'en')
        self.assertIn("Application received", self.body(msg))

    def test_apply_json(self):
        "A JSON client applies with base64 documents and reads the errors"
        client = self.client()
        data = dict(APPLICATION, contact_email='json@volt.example',
            documents=[{
                    'name': 'extract.pdf',
                    'data': base64.b64encode(PDF).decode(),
                    }])
        response = client.post(self.url('apply'), json=data,
            headers=[('Accept-Language', 'ru')])
        self.assertEqual(response.status_code, 201, response.get_data())
        result = response.get_json()
        self.assertEqual(result['state'], 'application')
        self.assertIn('json@volt.example', result['message'])
        self.assertEqual(self.count('ev.partner', [
                    ('contact_email', '=', 'json@volt.example'),
                    ('lang.code', '=', 'ru')]), 1)
        msg, = self.sent
        self.assertEqual(msg['Subject'],
            'Заявка получена: Volt Charging LLC')
        self.assertEqual(msg['Content-Language'], 'ru')
        self.assertIn("Заявка получена", self.body(msg))

        response = client.post(self.url('apply'),
            json=dict(data, inn='7707083894'))
        self.assertEqual(response.status_code, 400)
        error = response.get_json()
        self.assertEqual(error['error'], 'PartnerValidationError')
        self.assertIn('7707083894', error['message'])

    def test_apply_invalid_writes_nothing(self):
        "A refused application leaves no partner, party or document behind"
        client = self.client()
        before = [self.count(m) for m in [
                'ev.partner', 'party.party', 'ir.attachment']]
        big = PDF * (routes.MAX_DOCUMENT_SIZE // len(PDF) + 1)
        many = [(PDF, 'a%s.pdf' % i) for i in range(routes.MAX_DOCUMENTS + 1)]
        for values, documents, expected in [
                ({'inn': '1234567890'}, [(PDF, 'a.pdf')], '1234567890'),
                ({'contact_email': 'not-an-address'}, [], 'not-an-address'),
                ({'legal_name': ''}, [], ''),
                ({'country': 'XX'}, [], 'XX'),
                ({'legal_address': 'x' * 1001}, [], '1000'),
                ({}, [(b'MZ\x90\x00', 'virus.pdf')], 'virus.pdf'),
                ({}, [(big, 'big.pdf')], 'big.pdf'),
                ({}, many, str(routes.MAX_DOCUMENTS)),
                ]:
            with self.subTest(values=values):
                data = dict(APPLICATION, lang='en', **values)
                data['documents'] = [
                    (io.BytesIO(c), n) for c, n in documents]
                response = client.post(self.url('apply'), data=data,
                    content_type='multipart/form-data')
                page = response.get_data(as_text=True)
                self.assertEqual(response.status_code, 400, page)
                self.assertIn('role="alert"', page)
                self.assertIn(expected, page)
                # The form comes back filled in.
                self.assertIn('value="Irina Sokolova"', page)
        self.assertEqual([self.count(m) for m in [
                    'ev.partner', 'party.party', 'ir.attachment']], before)
        self.assertEqual(self.sent, [])

    def test_apply_too_large(self):
        "A request over the size limit is refused with a page"
        client = self.client()
        endpoint = next(rule.endpoint for rule in app.url_map.iter_rules()
            if rule.rule == '/<database_name>/ev_partner/apply')
        patcher = patch.object(endpoint, 'max_request_size', 1000)
        patcher.start()
        self.addCleanup(patcher.stop)
        data = dict(APPLICATION, lang='en', documents=[
                (io.BytesIO(PDF * 100), 'big.pdf')])
        response = client.post(self.url('apply'), data=data,
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 400)
        page = response.get_data(as_text=True)
        self.assertIn('role="alert"', page)
        self.assertIn('MB', page)

    def test_apply_consent_translated(self):
        "The refusal is in the language of the form"
        client = self.client()
        data = dict(APPLICATION, consent='')
        response = client.post(self.url('apply'), data=data,
            headers=[('Accept-Language', 'ru')])
        self.assertEqual(response.status_code, 400)
        self.assertIn("Подтвердите согласие",
            response.get_data(as_text=True))

    def test_apply_honeypot(self):
        "A robot that fills the hidden field is thanked and ignored"
        client = self.client()
        before = self.count('ev.partner')
        response = client.post(self.url('apply'), data=dict(
                APPLICATION, homepage='http://spam.example'))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Volt Charging LLC", response.get_data(as_text=True))
        self.assertEqual(self.count('ev.partner'), before)
        self.assertEqual(self.sent, [])

    def test_apply_rate_limit(self):
        "An address that posts too often is refused for a while"
        client = self.client()
        if not config.has_section('ev_partner'):
            config.add_section('ev_partner')
            self.addCleanup(config.getint.cache_clear)
            self.addCleanup(config.remove_section, 'ev_partner')
        config.set('ev_partner', 'application_limit', '2')
        data = dict(APPLICATION, consent='')
        statuses = [client.post(self.url('apply'), data=data).status_code
            for _ in range(3)]
        self.assertEqual(statuses, [400, 400, 429])
        response = client.post(self.url('apply'), json=data)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.get_json()['error'], 'TooManyRequestsError')

    def test_rate_limiter_window(self):
        "The limiter forgets the requests older than its period"
        limiter = routes.RateLimiter('test', 2, 60)
        with patch.object(routes.time, 'monotonic', return_value=1000):
            self.assertTrue(limiter.hit('a'))
            self.assertTrue(limiter.hit('a'))
            self.assertFalse(limiter.hit('a'))
            self.assertTrue(limiter.hit('b'))
        with patch.object(routes.time, 'monotonic', return_value=1061):
            self.assertTrue(limiter.hit('a'))
            self.assertNotIn('b', limiter.hits)

    # The e-mails of the lifecycle

    @with_transaction()
    def test_lifecycle_emails(self):
        "Each step of the partner e-mails its party, reason included"
        pool = Pool()
        Partner = pool.get('ev.partner')
        Email = pool.get('ir.email')
        partner = self._partner('en')
        self.run_tasks()
        Partner.review([partner])
        self.run_tasks()
        Partner.connect([partner])
        self.run_tasks()
        partner.state_reason = "Unpaid invoice 42"
        partner.save()
        self.run_tasks()
        Partner.suspend([partner])
        self.run_tasks()
        # (A record triggers an action once per transaction: connecting
        # again here would send nothing.)
        Partner.disconnect([partner])
        self.run_tasks()

        self.assertEqual([m['Subject'] for m in self.sent], [
                "Application received: Volt Charging LLC",
                "Your application is under review: Volt Charging LLC",
                "Connected to the EV charging network: Volt Charging LLC",
                "Connection suspended: Volt Charging LLC",
                "Connection closed: Volt Charging LLC",
                ])
        for msg in self.sent:
            self.assertEqual(msg['To'],
                'Volt Charging LLC <irina@volt.example>')
            self.assertEqual(msg['From'], FROM)
            self.assertEqual(msg['Content-Language'], 'en')
        self.assertIn("Unpaid invoice 42", self.body(self.sent[3]))
        self.assertIn("Reason:", self.body(self.sent[3]))
        self.assertNotIn("Reason:", self.body(self.sent[2]))
        self.assertIn("Unpaid invoice 42", self.body(self.sent[4]))
        emails = Email.search([('resource', '=', str(partner))])
        self.assertEqual(len(emails), 5)
        # Logged by the outbox, kept to be sent again, with their trigger.
        for email in emails:
            self.assertEqual(email.ev_state, 'queued')
            self.assertTrue(email.ev_mime)
            self.assertTrue(email.notification_trigger)
            self.assertEqual(email.notification_email,
                email.notification_trigger.notification_email)
            self.assertEqual(email.recipients,
                'Volt Charging LLC <irina@volt.example>')

    @with_transaction()
    def test_email_language(self):
        "A Russian partner gets Russian e-mails, an English one English"
        pool = Pool()
        Partner = pool.get('ev.partner')
        russian = self._partner('ru', legal_name="ООО «Вольт»",
            contact_email='ru@volt.example')
        english = self._partner('en', legal_name="Volt GmbH",
            contact_email='en@volt.example')
        self.run_tasks()
        Partner.review([russian, english])
        Partner.write([russian], {'state_reason': "Долг"})
        self.run_tasks()
        Partner.connect([russian])
        Partner.suspend([russian])
        self.run_tasks()

        by_address = {}
        for msg in self.sent:
            (_, address), = getaddresses([msg['To']])
            by_address.setdefault(address, []).append(msg)
        # Connected and suspended before the tasks ran: the trigger checks
        # its condition again when it runs, so only the suspension is sent.
        received_ru, review_ru, suspended_ru = by_address['ru@volt.example']
        received_en, review_en = by_address['en@volt.example']
        self.assertEqual(received_ru['Subject'],
            "Заявка получена: ООО «Вольт»")
        self.assertEqual(review_ru['Subject'],
            "Ваша заявка на рассмотрении: ООО «Вольт»")
        self.assertIn("Заявка получена", self.body(received_ru))
        self.assertIn("Причина:", self.body(suspended_ru))
        self.assertEqual(received_en['Subject'],
            "Application received: Volt GmbH")
        self.assertIn("Application received", self.body(received_en))
        for msg in [received_ru, review_ru, suspended_ru]:
            self.assertEqual(msg['Content-Language'], 'ru')
        for msg in [received_en, review_en]:
            self.assertEqual(msg['Content-Language'], 'en')

    @with_transaction()
    def test_no_repeated_emails(self):
        "Saving a partner without a change of state sends nothing"
        pool = Pool()
        Partner = pool.get('ev.partner')
        partner = self._partner('en')
        Partner.review([partner])
        self.run_tasks()
        count = len(self.sent)
        partner.note = "Called the manager"
        partner.save()
        Partner.review([partner])
        self.run_tasks()
        self.assertEqual(len(self.sent), count)

    # Invitations

    def _manager(self, partner, login='manager'):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user, = User.create([{
                    'login': login,
                    'name': login.title(),
                    'ev_partner': partner.id,
                    'companies': [('add', [partner.company.id])],
                    'company': partner.company.id,
                    'roles': [('create', [{
                                    'role': ModelData.get_id(
                                        'ev_partner', 'role_ev_manager'),
                                    }])],
                    }])
        return user

    def _send(self, invitation):
        "Send the invitation and return the clear token of its link"
        Invitation = Pool().get('ev.partner.invitation')
        count = len(self.sent)
        Invitation.send([invitation])
        msg, = self.sent[count:]
        body = self.body(msg)
        token, = set(re.findall(r'/ev_partner/invitation/([\w-]+)', body))
        return msg, token

    @with_transaction()
    def test_invitation_send(self):
        "The link holds a token whose hash alone is stored"
        pool = Pool()
        Invitation = pool.get('ev.partner.invitation')
        Email = pool.get('ir.email')
        ModelData = pool.get('ir.model.data')
        partner = self._partner('ru', legal_name="ООО «Вольт»")
        invitation, = Invitation.create([{
                    'partner': partner.id,
                    'email': 'tech@volt.example',
                    'role': ModelData.get_id(
                        'ev_partner', 'role_ev_technician'),
                    }])
        self.assertEqual(invitation.lang, None)
        msg, token = self._send(invitation)
        self.assertEqual(msg['To'], 'tech@volt.example')
        self.assertEqual(msg['Content-Language'], 'ru')
        self.assertIn("Принять приглашение", self.body(msg))
        self.assertIn('/%s/ev_partner/invitation/%s' % (
                urllib.parse.quote(DB_NAME), token), self.body(msg))
        self.assertEqual(invitation.token_hash, hash_token(token))
        self.assertNotIn(token, str(Invitation.read(
                    [invitation.id], list(Invitation._fields))))
        self.assertEqual(Invitation.get_from_token(token), invitation)
        self.assertTrue(invitation.is_valid)
        self.assertEqual(invitation.expires_at - invitation.sent_at,
            dt.timedelta(days=7))
        email, = Email.search([('resource', '=', str(invitation))])
        self.assertFalse(email.body)
        # The link is a secret: the outbox keeps no copy to send again.
        self.assertEqual(email.ev_state, 'queued')
        self.assertEqual(email.recipients, 'tech@volt.example')
        self.assertFalse(email.ev_mime)
        self.assertFalse(email.ev_resendable)

        # Sending again voids the first link.
        _, token2 = self._send(invitation)
        self.assertNotEqual(token, token2)
        self.assertIsNone(Invitation.get_from_token(token))
        self.assertEqual(Invitation.get_from_token(token2), invitation)

        Invitation.cancel([invitation])
        self.assertEqual(invitation.state, 'cancelled')
        self.assertFalse(invitation.is_valid)

    @with_transaction()
    def test_invitation_expire(self):
        "The cron marks the invitations past their validity, send revives"
        pool = Pool()
        Invitation = pool.get('ev.partner.invitation')
        partner = self._partner('en')
        invitation, = Invitation.create([{
                    'partner': partner.id, 'email': 'tech@volt.example'}])
        self._send(invitation)
        Invitation.expire()
        self.assertEqual(invitation.state, 'pending')
        Invitation.write([invitation], {
                'expires_at': dt.datetime(2020, 1, 1)})
        self.assertFalse(invitation.is_valid)
        Invitation.expire()
        self.assertEqual(invitation.state, 'expired')
        self._send(invitation)
        self.assertEqual(invitation.state, 'pending')
        self.assertTrue(invitation.is_valid)

    @with_transaction()
    def test_invitation_manager_rules(self):
        "A partner manager invites for his own partner only"
        pool = Pool()
        Invitation = pool.get('ev.partner.invitation')
        ModelData = pool.get('ir.model.data')
        partner = self._partner('en')
        other = self._partner('en', legal_name="Other LLC",
            contact_email='other@other.example')
        manager = self._manager(partner)
        foreign, = Invitation.create([{
                    'partner': other.id, 'email': 'x@other.example'}])
        accountant = ModelData.get_id('ev_partner', 'role_ev_accountant')
        operator_role = ModelData.get_id('ev_partner', 'role_ev_operator')

        with Transaction().set_user(manager.id), check_access(), \
                Transaction().set_context(company=partner.company.id):
            self.assertEqual(Invitation.default_partner(), partner.id)
            own, = Invitation.create([{
                        'partner': partner.id, 'email': 'acc@volt.example',
                        'role': accountant}])
            self.assertEqual(own.invited_by, manager)
            Invitation.send([own])
            self.assertEqual(Invitation.search([]), [own])
            own_values = {'partner': partner.id, 'email': 'x@volt.example'}
            for values, error in [
                    ({'partner': other.id, 'email': 'x@volt.example'},
                        AccessError),
                    (dict(own_values, role=operator_role),
                        DomainValidationError),
                    (dict(own_values, token_hash=hash_token('chosen')),
                        AccessError),
                    ]:
                with self.subTest(values=values):
                    with self.assertRaises(error):
                        Invitation.create([values])
            for values in [
                    {'partner': other.id},
                    {'token_hash': hash_token('chosen')},
                    {'state': 'accepted'},
                    ]:
                with self.subTest(values=values):
                    with self.assertRaises(AccessError):
                        Invitation.write([own], values)
            with self.assertRaises(AccessError):
                Invitation.cancel([Invitation(foreign.id)])
            with self.assertRaises(AccessError):
                Invitation.delete([own])

    @with_transaction()
    def test_invitation_accept(self):
        "Accepting creates the partner's user with the role's groups"
        pool = Pool()
        Invitation = pool.get('ev.partner.invitation')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        partner = self._partner('en')
        invitation, = Invitation.create([{
                    'partner': partner.id, 'email': 'tech@volt.example',
                    'lang': get_lang('ru').id}])
        self._send(invitation)
        user = invitation.accept('tech', "Pavel Kuznetsov", 'a-l0ng-secret')
        self.assertEqual(invitation.state, 'accepted')
        self.assertEqual(invitation.user, user)
        self.assertEqual(user.ev_partner, partner)
        self.assertEqual(user.email, 'tech@volt.example')
        self.assertEqual(user.language.code, 'ru')
        self.assertIn(ModelData.get_id(
                'ev_partner', 'group_ev_partner_technician'),
            [g.id for g in user.groups])
        self.assertEqual(User.get_login(
                'tech', {'password': 'a-l0ng-secret'}), user.id)
        self.assertFalse(invitation.is_valid)

    def _route_invitation(self, lang='en', expired=False):
        "Create a sent invitation in its own transaction; return the token"
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Invitation = pool.get('ev.partner.invitation')
            partner = self._partner(lang, legal_name="Route %s" % lang,
                contact_email='route-%s@volt.example' % len(self.sent))
            invitation, = Invitation.create([{
                        'partner': partner.id,
                        'email': 'new-%s@volt.example' % len(self.sent)}])
            _, token = self._send(invitation)
            if expired:
                Invitation.write([invitation], {
                        'expires_at': dt.datetime(2020, 1, 1)})
            transaction.commit()
        return token

    def test_invitation_page(self):
        "The invited person chooses a login and password on the page"
        client = self.client()
        token = self._route_invitation('ru')
        url = self.url('invitation/%s' % token)
        response = client.get(url)
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('lang="ru"', page)
        self.assertIn("Создать учётную запись", page)
        self.assertIn("Route ru", page)
        page = client.get(url, query_string={'lang': 'en'}).get_data(
            as_text=True)
        self.assertIn("Create my account", page)

        login = 'route-user'
        form = {'login': login, 'name': "Route User",
            'password': 'a-l0ng-secret', 'password2': 'a-l0ng-secret',
            'lang': 'en'}
        for values, status in [
                ({'password2': 'other-secret'}, 400),
                ({'password': 'short', 'password2': 'short'}, 400),
                ({'password': login, 'password2': login}, 400),
                ({'login': 'admin'}, 400),
                ({'name': ''}, 400),
                ]:
            with self.subTest(values=values):
                response = client.post(url, data=dict(form, **values))
                page = response.get_data(as_text=True)
                self.assertEqual(response.status_code, status, page)
                self.assertIn('role="alert"', page)
                self.assertNotIn('a-l0ng-secret', page)
        self.assertEqual(self.count('res.user', [('login', '=', login)]), 0)

        response = client.post(url, data=form)
        page = response.get_data(as_text=True)
        self.assertEqual(response.status_code, 200, page)
        self.assertIn(login, page)
        # Not read-only: a login clears the failed attempts.
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            User = pool.get('res.user')
            ModelData = pool.get('ir.model.data')
            user, = User.search([('login', '=', login)])
            self.assertEqual(user.ev_partner.legal_name, "Route ru")
            self.assertIn(ModelData.get_id(
                    'ev_partner', 'group_ev_partner_technician'),
                [g.id for g in user.groups])
            self.assertEqual(User.get_login(
                    login, {'password': 'a-l0ng-secret'}), user.id)

        # The link serves once.
        response = client.get(url)
        self.assertEqual(response.status_code, 410)
        response = client.post(url, data=dict(form, login='again'))
        self.assertEqual(response.status_code, 410)

    def test_invitation_page_refused(self):
        "Unknown and expired links are refused, the expired one marked"
        client = self.client()
        response = client.get(self.url('invitation/not-a-token'))
        self.assertEqual(response.status_code, 404)
        self.assertIn('role="alert"', response.get_data(as_text=True))

        token = self._route_invitation(expired=True)
        url = self.url('invitation/%s' % token)
        self.assertEqual(client.get(url).status_code, 410)
        response = client.post(url, data={
                'login': 'late', 'name': "Late", 'password': 'a-l0ng-secret',
                'password2': 'a-l0ng-secret'})
        self.assertEqual(response.status_code, 410)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Invitation = Pool().get('ev.partner.invitation')
            invitation = Invitation.get_from_token(token)
            self.assertEqual(invitation.state, 'expired')
        self.assertEqual(self.count('res.user', [('login', '=', 'late')]), 0)
