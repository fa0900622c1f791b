# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import AgreementValidationError


class Agreement(ModelSQL, ModelView):
    "The commercial terms between the platform and a partner"
    __name__ = 'ev.partner.agreement'
    __string__ = "EV Partner Agreement"

    partner = fields.Many2One(
        'ev.partner', "Partner", required=True, ondelete='CASCADE')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')
    number = fields.Char("Number", strip=True)
    currency = fields.Many2One('currency.currency', "Currency", required=True)
    commission_rate = fields.Numeric(
        "Commission Rate", digits=(16, 4), required=True,
        domain=[
            ('commission_rate', '>=', 0),
            ('commission_rate', '<=', 1),
            ],
        help="The share of each session's price net of tax the platform "
        "keeps.")
    fee_per_session = Monetary(
        "Fee per Session", currency='currency', digits='currency',
        required=True,
        domain=[('fee_per_session', '>=', 0)],
        help="A fixed amount the platform keeps on each paid session.")
    fee_per_month = Monetary(
        "Fee per Month", currency='currency', digits='currency',
        required=True,
        domain=[('fee_per_month', '>=', 0)],
        help="A fixed amount the partner owes each month the agreement "
        "is valid.")
    settlement_period = fields.Selection([
            ('week', "Weekly"),
            ('month', "Monthly"),
            ('quarter', "Quarterly"),
            ], "Settlement Period", required=True,
        help="How often the partner's income is settled and paid out.")
    start_date = fields.Date(
        "Start Date", required=True,
        domain=[
            If(Eval('end_date'),
                ('start_date', '<=', Eval('end_date', None)),
                ()),
            ])
    end_date = fields.Date(
        "End Date",
        domain=[
            If(Eval('end_date'),
                ('end_date', '>=', Eval('start_date', None)),
                ()),
            ])
    note = fields.Text("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__access__.add('partner')
        cls._sql_indexes.add(Index(t,
                (t.partner, Index.Range()), (t.start_date, Index.Range())))
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_commission_rate(cls):
        return Decimal(0)

    @classmethod
    def default_fee_per_session(cls):
        return Decimal(0)

    @classmethod
    def default_fee_per_month(cls):
        return Decimal(0)

    @classmethod
    def default_settlement_period(cls):
        return 'month'

    @fields.depends('partner', '_parent_partner.company')
    def on_change_with_company(self, name=None):
        return self.partner.company if self.partner else None

    @classmethod
    def search_company(cls, name, clause):
        return [('partner.company',) + tuple(clause[1:])]

    def get_rec_name(self, name):
        return self.number or '%s %s' % (
            self.partner.rec_name, self.start_date)

    @classmethod
    def validate_fields(cls, agreements, field_names):
        super().validate_fields(agreements, field_names)
        cls.check_overlap(agreements, field_names)

    @classmethod
    def check_overlap(cls, agreements, field_names=None):
        "Check that a partner has one agreement on any day"
        if field_names and not (
                field_names & {'partner', 'start_date', 'end_date'}):
            return
        for agreement in agreements:
            domain = [
                ('id', '!=', agreement.id),
                ('partner', '=', agreement.partner.id),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', agreement.start_date),
                    ],
                ]
            if agreement.end_date:
                domain.append(('start_date', '<=', agreement.end_date))
            others = cls.search(domain, limit=1)
            if others:
                other, = others
                raise AgreementValidationError(gettext(
                        'ev_partner.msg_agreement_overlap',
                        agreement=agreement.rec_name,
                        other=other.rec_name))

    @classmethod
    def get_valid(cls, partner, date):
        "Return the agreement of the partner valid on date or None"
        agreements = cls.search([
                ('partner', '=', partner.id),
                ('start_date', '<=', date),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', date),
                    ],
                ], limit=1)
        return agreements[0] if agreements else None

    def compute_commission(self, amount, sessions=1):
        """Return the platform's commission on amount (net of tax) earned
        over the given number of sessions, rounded to the currency"""
        commission = amount * self.commission_rate
        commission += self.fee_per_session * sessions
        # The platform never keeps more than the sessions brought in.
        commission = min(commission, amount) if amount >= 0 else commission
        return self.currency.round(commission)
