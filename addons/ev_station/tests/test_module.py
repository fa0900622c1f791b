# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.ev_partner.tests.tools import TranslationTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class EvStationTestCase(
        TranslationTestMixin, CompanyTestMixin, ModuleTestCase):
    "Test EV Station module"
    module = 'ev_station'


del ModuleTestCase
