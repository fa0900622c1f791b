# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import (
    ListViewTestMixin, TranslationTestMixin)


class EvPartnerTestCase(
        ListViewTestMixin, TranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test EV Partner module"
    module = 'ev_partner'

    def _client(self, name="Client"):
        Party = Pool().get('party.party')
        party = Party(name=name, ev_client=True)
        party.save()
        return party

    @with_transaction()
    def test_id_tag_effective_status(self):
        "Effective status follows status, expiry, activity and parent"
        IdTag = Pool().get('ev.id_tag')
        company = create_company()
        with set_company(company):
            now = dt.datetime(2026, 11, 27, 12, 0)
            fleet = IdTag(code='FLEET-1')
            fleet.save()
            card = IdTag(code='CARD-1', parent=fleet,
                expires_at=now + dt.timedelta(days=1))
            card.save()

            self.assertEqual(card.get_effective_status(None, at=now),
                'accepted')
            self.assertEqual(card.get_effective_status(
                    None, at=now + dt.timedelta(days=2)), 'expired')

            fleet.status = 'blocked'
            fleet.save()
            self.assertEqual(card.get_effective_status(None, at=now),
                'blocked')

            card.active = False
            card.save()
            self.assertEqual(card.get_effective_status(None, at=now),
                'blocked')

    @with_transaction()
    def test_id_tag_code_unique(self):
        "Two tags of one company cannot share a code"
        IdTag = Pool().get('ev.id_tag')
        company = create_company()
        with set_company(company):
            IdTag(code='04A2B3C4').save()
            with self.assertRaises(UserError) as cm:
                IdTag(code='04A2B3C4').save()
            self.assertIn('already exists', cm.exception.message)

    @with_transaction()
    def test_id_tag_code_invalid(self):
        "A code with spaces or non-ASCII characters is refused"
        IdTag = Pool().get('ev.id_tag')
        company = create_company()
        with set_company(company):
            for code in ['AB CD', 'КАРТА']:
                with self.subTest(code=code):
                    with self.assertRaises(ValidationError):
                        IdTag(code=code).save()

    @with_transaction()
    def test_id_tag_parent_cycle(self):
        "A tag cannot be its own ancestor"
        IdTag = Pool().get('ev.id_tag')
        company = create_company()
        with set_company(company):
            a = IdTag(code='A')
            a.save()
            b = IdTag(code='B', parent=a)
            b.save()
            a.parent = b
            with self.assertRaises(ValidationError):
                a.save()

    @with_transaction()
    def test_issue_app_token(self):
        "The platform issues numbered app tokens to clients"
        IdTag = Pool().get('ev.id_tag')
        company = create_company()
        with set_company(company):
            client = self._client()
            token1 = IdTag.issue_app_token(client)
            token2 = IdTag.issue_app_token(client)
            self.assertTrue(token1.code.startswith('APP'))
            self.assertNotEqual(token1.code, token2.code)
            self.assertEqual(token1.kind, 'app')
            self.assertEqual(client.ev_id_tags, (token1, token2))

    def _partner(self, **values):
        Partner = Pool().get('ev.partner')
        values.setdefault('legal_name', "Volt LLC")
        values.setdefault('contact_email', 'volt@example.com')
        partner = Partner(**values)
        partner.save()
        return partner

    @with_transaction()
    def test_partner_lifecycle(self):
        "A partner goes from application to connected, out and back"
        Partner = Pool().get('ev.partner')
        company = create_company()
        with set_company(company):
            partner = self._partner(contact_phone='+7 900 000-00-00')
            self.assertEqual(partner.state, 'application')
            # The party is created from the registration data.
            self.assertEqual(partner.party.name, "Volt LLC")
            self.assertTrue(partner.party.ev_partner)
            self.assertEqual(
                sorted((m.type, m.value)
                    for m in partner.party.contact_mechanisms),
                [('email', 'volt@example.com'),
                    ('phone', '+7 900 000-00-00')])

            # Not yet reviewed: cannot be connected.
            Partner.connect([partner])
            self.assertEqual(partner.state, 'application')
            Partner.review([partner])
            Partner.connect([partner])
            self.assertEqual(partner.state, 'connected')
            self.assertTrue(partner.connected_at)
            Partner.suspend([partner])
            self.assertEqual(partner.state, 'suspended')
            self.assertFalse(partner.accepts_sessions)
            Partner.connect([partner])
            self.assertTrue(partner.accepts_sessions)
            Partner.disconnect([partner])
            self.assertEqual(partner.state, 'disconnected')
            # Reconnection goes through a new review.
            Partner.review([partner])
            Partner.connect([partner])
            self.assertEqual(partner.state, 'connected')

            self.assertEqual(
                [(h.action, h.old_value, h.new_value)
                    for h in reversed(partner.history)],
                [('create', None, "Volt LLC"),
                    ('state', "Application", "Under Review"),
                    ('state', "Under Review", "Connected"),
                    ('state', "Connected", "Suspended"),
                    ('state', "Suspended", "Connected"),
                    ('state', "Connected", "Disconnected"),
                    ('state', "Disconnected", "Under Review"),
                    ('state', "Under Review", "Connected")])

            with self.assertRaises(ValidationError):
                Partner.delete([partner])

    @with_transaction()
    def test_partner_history_of_changes(self):
        "Each change of registration data is kept with old and new values"
        pool = Pool()
        Partner = pool.get('ev.partner')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            partner = self._partner(bank_name="Bank A")
            user = User(login='operator')
            user.save()
            with Transaction().set_user(user.id):
                Partner.write([Partner(partner.id)], {
                        'bank_name': "Bank B",
                        'note': "not tracked",
                        })
            change, = [h for h in Partner(partner.id).history
                if h.action == 'write']
            self.assertEqual(
                (change.field, change.old_value, change.new_value,
                    change.user),
                ("Bank", "Bank A", "Bank B", user))

            # The contact e-mail follows onto the party.
            partner = Partner(partner.id)
            partner.contact_email = 'office@volt.example'
            partner.save()
            # It comes first, so that notifications go there.
            self.assertEqual(
                [m.value for m in partner.party.contact_mechanisms
                    if m.type == 'email'],
                ['office@volt.example', 'volt@example.com'])

    @with_transaction()
    def test_partner_identifiers(self):
        "Russian identifiers, bank details and e-mail are checked"
        Pool().get('ev.partner')
        company = create_company()
        with set_company(company):
            self._partner(inn='7707083893', kpp='773601001',
                ogrn='1027700132195', bank_bic='044525225',
                bank_account='40702810900000000001')
            for values in [
                    {'inn': '7707083890'},
                    {'ogrn': '1027700132190'},
                    {'kpp': '77360100'},
                    {'inn': '7707083893', 'ogrn': '304500116000157'},
                    {'inn': '7707083893', 'bank_bic': '04452522'},
                    {'contact_email': 'not-an-address'},
                    ]:
                with self.subTest(values=values), \
                        self.assertRaises(ValidationError):
                    self._partner(legal_name="Bad %s" % values, **values)
            # A foreign partner gives its own tax identifier.
            self._partner(legal_name="Ionity GmbH",
                foreign_tax_id='DE123456789', bank_account='DE8937040044')

    @with_transaction()
    def test_partner_party_unique(self):
        "One party is one partner per company"
        company = create_company()
        with set_company(company):
            partner = self._partner()
            with self.assertRaises(Exception):
                self._partner(party=partner.party, legal_name="Twin")

    @with_transaction()
    def test_partner_staff_do_not_see_other_partners(self):
        "Partner staff read their own partner's party and no other partner"
        pool = Pool()
        Party = pool.get('party.party')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            own = self._partner()
            other = self._partner(legal_name="Other Energy")
            client = self._client()
            user = User(login='staff', ev_partner=own, groups=[
                    ModelData.get_id(
                        'ev_partner', 'group_ev_partner_accountant')])
            user.save()
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                visible = Party.search([])
                self.assertIn(own.party, visible)
                self.assertIn(client, visible)
                self.assertNotIn(other.party, visible)
                with self.assertRaises(AccessError):
                    Party.read([other.party.id], ['name'])

    @with_transaction()
    def test_client_reads_only_own_party(self):
        "A client reads and changes its own party and not another's"
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        ContactMechanism = pool.get('party.contact_mechanism')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            own = self._client("Own")
            other = self._client("Other")
            partner = self._partner()
            for party in [own, other]:
                Address(party=party, street="Main street").save()
                ContactMechanism(party=party, type='phone',
                    value='+7 900 000 00 %02d' % party.id).save()
            client_group = ModelData.get_id('ev_partner', 'group_ev_client')
            user = User(login='client', ev_party=own, groups=[client_group])
            user.save()
            # The app's technical user: a client group without a party,
            # which the app names in the private context key.
            portal = User(login='portal', groups=[client_group])
            portal.save()

            for user_id, context in [
                    (user.id, {}),
                    (portal.id, {'_ev_portal_party': own.id}),
                    ]:
                with self.subTest(user=user_id), \
                        Transaction().set_user(user_id), \
                        Transaction().set_context(
                            _check_access=True, **context):
                    self.assertEqual(Party.search([]), [own])
                    self.assertEqual(
                        Party.read([own.id], ['name'])[0]['name'], "Own")
                    for party in [other, partner.party]:
                        with self.assertRaises(AccessError):
                            Party.read([party.id], ['name'])
                    with self.assertRaises(AccessError):
                        Party.write([other], {'name': "Mine"})
                    self.assertEqual(
                        {a.party for a in Address.search([])}, {own})
                    self.assertEqual(
                        {m.party for m in ContactMechanism.search([])},
                        {own})
                    Party.write([own], {'name': "Own"})

            # Without a party the technical user reads no party.
            with Transaction().set_user(portal.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(Party.search([]), [])

    @with_transaction()
    def test_agreement(self):
        "Agreements do not overlap and compute the platform's commission"
        pool = Pool()
        Agreement = pool.get('ev.partner.agreement')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            agreement = Agreement(partner=partner,
                start_date=dt.date(2026, 1, 1),
                end_date=dt.date(2026, 12, 31),
                commission_rate=Decimal('0.1500'),
                fee_per_session=Decimal('5'))
            agreement.save()
            self.assertEqual(agreement.currency, company.currency)
            self.assertEqual(agreement.settlement_period, 'month')
            Agreement(partner=partner, start_date=dt.date(2027, 1, 1),
                commission_rate=Decimal('0.1')).save()

            self.assertEqual(
                Agreement.get_valid(partner, dt.date(2026, 5, 5)), agreement)
            self.assertEqual(
                Agreement.get_valid(partner, dt.date(2027, 5, 5))
                .commission_rate, Decimal('0.1'))
            self.assertIsNone(
                Agreement.get_valid(partner, dt.date(2025, 5, 5)))
            # 15 % of 333.33 is 49.9995, plus 5 per session, rounded.
            self.assertEqual(
                agreement.compute_commission(Decimal('333.33')),
                Decimal('55.00'))
            self.assertEqual(
                agreement.compute_commission(Decimal('100'), sessions=3),
                Decimal('30.00'))
            # Never more than the sessions brought in.
            self.assertEqual(
                agreement.compute_commission(Decimal('2')), Decimal('2'))
            with self.assertRaises(ValidationError):
                Agreement(partner=partner, start_date=dt.date(2026, 6, 1),
                    commission_rate=Decimal('0.1')).save()

    @with_transaction()
    def test_role_changes_audited_and_guarded(self):
        "Roles are audited; only administrators hand out admin rights"
        pool = Pool()
        User = pool.get('res.user')
        UserRole = pool.get('res.user.role')
        Role = pool.get('res.role')
        ModelData = pool.get('ir.model.data')
        AuditLog = pool.get('ev.audit.log')
        Group = pool.get('res.group')
        operator_group = Group(ModelData.get_id(
                'ev_partner', 'group_ev_operator'))
        operator = User(login='operator', groups=[operator_group])
        operator.save()
        staff = User(login='staff')
        staff.save()
        technician = Role(ModelData.get_id(
                'ev_partner', 'role_ev_technician'))
        admin = Role(ModelData.get_id('ev_partner', 'role_ev_admin'))

        with Transaction().set_user(operator.id), \
                Transaction().set_context(_check_access=True):
            # As in the user form: the roles of the user are written.
            User.write([User(staff.id)], {
                    'roles': [('create', [{'role': technician.id}])],
                    })
            with self.assertRaises(AccessError):
                User.write([User(staff.id)], {
                        'roles': [('create', [{'role': admin.id}])],
                        })
            with self.assertRaises(AccessError):
                UserRole(user=staff, role=admin).save()
            with self.assertRaises(AccessError):
                User.write([User(staff.id)], {
                        'groups': [('add', [ModelData.get_id(
                                        'res', 'group_admin')])],
                        })
        staff = User(staff.id)
        self.assertIn(ModelData.get_id(
                'ev_partner', 'group_ev_partner_technician'),
            [g.id for g in staff.groups])
        logs = AuditLog.search([('resource', '=', str(staff))])
        self.assertEqual({l.action for l in logs}, {'role', 'group'})
        self.assertTrue(all(l.user == operator for l in logs))
        with Transaction().set_context(_check_access=True), \
                self.assertRaises(AccessError):
            AuditLog.write(logs, {'description': "rewritten"})

    @with_transaction()
    def test_rule_context_and_allowed_menus(self):
        "Staff carry their partner's party; allowed menus hide the others"
        pool = Pool()
        User = pool.get('res.user')
        Rule = pool.get('ir.rule')
        Menu = pool.get('ir.ui.menu')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            operator_group = ModelData.get_id(
                'ev_partner', 'group_ev_operator')
            user = User(login='staff', ev_partner=partner,
                groups=[operator_group])
            user.save()
            with Transaction().set_user(user.id):
                context = Rule._get_context('ev.partner')
                self.assertEqual(
                    context['ev_partner_parties'], [partner.party.id])
                self.assertEqual(context['ev_party'], -1)

            root = ModelData.get_id('ev_partner', 'menu_ev')
            id_tags = ModelData.get_id('ev_partner', 'menu_id_tag_form')
            partners = ModelData.get_id('ev_partner', 'menu_partner_form')
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                visible = {m.id for m in Menu.search([])}
            self.assertTrue({root, id_tags, partners} <= visible)

            User.write([user], {'ev_menus': [('add', [partners])]})
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                visible = {m.id for m in Menu.search([])}
            self.assertIn(partners, visible)
            self.assertIn(root, visible)
            self.assertNotIn(id_tags, visible)


del ModuleTestCase
