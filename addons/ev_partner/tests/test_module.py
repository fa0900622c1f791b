# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

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


del ModuleTestCase
