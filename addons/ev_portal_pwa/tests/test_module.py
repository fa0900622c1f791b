# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.ev_partner.tests.tools import (
    ListViewTestMixin, TranslationTestMixin)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class EvPortalPwaTestCase(
        ListViewTestMixin, TranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test EV Portal PWA module"
    module = 'ev_portal_pwa'

    @with_transaction()
    def test_portal_user(self):
        "The app's technical user is an EV Client only, with no password"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user = User(ModelData.get_id('ev_portal_pwa', 'user_portal'))
        self.assertEqual(user.login, 'ev_portal')
        self.assertFalse(user.password_hash)
        self.assertEqual([g.id for g in user.groups],
            [ModelData.get_id('ev_partner', 'group_ev_client')])

    @with_transaction()
    def test_web_user_defaults(self):
        "A web user starts with the light theme and the sounds on"
        pool = Pool()
        WebUser = pool.get('web.user')
        user = WebUser(email='driver@example.com')
        user.save()
        self.assertEqual(user.ev_theme, 'light')
        self.assertTrue(user.ev_sounds)


del ModuleTestCase
