# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.ev_partner.tests.tools import (
    ListViewTestMixin, TranslationTestMixin)
from trytond.tests.test_tryton import ModuleTestCase


class EvBillingTestCase(
        ListViewTestMixin, TranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test EV Billing module"
    module = 'ev_billing'


del ModuleTestCase
