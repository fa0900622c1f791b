# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Count, Sum
from sql.conditionals import Coalesce
from zoneinfo import ZoneInfo

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.outbox import deliver
from trytond.modules.ev_partner.tools import lock, utcnow
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.report import Report, get_email
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import SettlementError

logger = logging.getLogger(__name__)


def _month_ends(start, end):
    "Return the last days of the months that end within [start, end]"
    result = []
    year, month = start.year, start.month
    while True:
        next_month = dt.date(year + month // 12, month % 12 + 1, 1)
        last = next_month - dt.timedelta(days=1)
        if last > end:
            return result
        if last >= start:
            result.append(last)
        year, month = next_month.year, next_month.month


class Settlement(Workflow, ModelSQL, ModelView):
    "What the platform owes a partner for a period, and its payout"
    __name__ = 'ev.billing.settlement'
    __string__ = "Partner Settlement"

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    partner = fields.Many2One(
        'ev.partner', "Partner", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    party = fields.Function(fields.Many2One(
            'party.party', "Party",
            context={'company': Eval('company', -1)},
            depends={'company'}),
        'on_change_with_party', searcher='search_party')
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_states)
    start_date = fields.Date(
        "From", required=True, states=_states,
        domain=[
            If(Eval('end_date'),
                ('start_date', '<=', Eval('end_date', None)),
                ()),
            ])
    end_date = fields.Date(
        "To", required=True, states=_states,
        help="The settlement takes every amount of the partner posted up to "
        "this day and not settled yet.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('confirmed', "Confirmed"),
            ('paid', "Paid"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    lines = fields.One2Many(
        'ev.billing.settlement.line', 'settlement', "Stations",
        readonly=True)
    move_lines = fields.One2Many(
        'account.move.line', 'ev_settlement', "Accounting Lines",
        readonly=True)
    sessions = fields.Function(fields.Integer("Sessions"), 'get_totals')
    energy_wh = fields.Function(fields.Integer("Energy (Wh)"), 'get_totals')
    net_amount = fields.Function(Monetary(
            "Revenue net of Tax", currency='currency', digits='currency'),
        'get_totals')
    partner_amount = fields.Function(Monetary(
            "Partner Revenue", currency='currency', digits='currency'),
        'get_totals')
    commission_amount = fields.Function(Monetary(
            "Platform Commission", currency='currency', digits='currency'),
        'get_totals')
    fee_amount = Monetary(
        "Monthly Fees", currency='currency', digits='currency',
        readonly=True,
        help="The agreement's fee for each month that ends in the period.")
    payout_amount = fields.Function(Monetary(
            "Payout", currency='currency', digits='currency',
            help="The partner revenue less the monthly fees."),
        'get_totals')
    fee_move = fields.Many2One(
        'account.move', "Fee Move", readonly=True, ondelete='RESTRICT')
    payout = fields.Many2One(
        'account.payment', "Payout Payment", readonly=True,
        ondelete='RESTRICT')
    sent_at = fields.DateTime("Statement Sent at", readonly=True)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__access__.add('partner')
        cls._sql_indexes.add(Index(t,
                (t.partner, Index.Range()), (t.end_date, Index.Range())))
        cls._order = [('end_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('confirmed', 'paid'),
            ('draft', 'cancelled'),
            }
        cls._buttons.update({
                'compute': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'send': {
                    'invisible': ~Eval('state').in_(['confirmed', 'paid']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_fee_amount(cls):
        return Decimal(0)

    @fields.depends('partner', '_parent_partner.party')
    def on_change_with_party(self, name=None):
        return self.partner.party if self.partner else None

    @classmethod
    def search_party(cls, name, clause):
        return [('partner.party',) + tuple(clause[1:])]

    def get_rec_name(self, name):
        return '%s %s – %s' % (
            self.partner.rec_name, self.start_date, self.end_date)

    @classmethod
    def get_totals(cls, settlements, name):
        result = {n: {} for n in [
                'sessions', 'energy_wh', 'net_amount', 'partner_amount',
                'commission_amount', 'payout_amount']}
        for settlement in settlements:
            lines = settlement.lines
            partner = sum((l.partner_amount for l in lines), Decimal(0))
            commission = sum(
                (l.commission_amount for l in lines), Decimal(0))
            result['sessions'][settlement.id] = sum(
                l.sessions for l in lines)
            result['energy_wh'][settlement.id] = sum(
                l.energy_wh for l in lines)
            result['net_amount'][settlement.id] = partner + commission
            result['partner_amount'][settlement.id] = partner
            result['commission_amount'][settlement.id] = commission
            result['payout_amount'][settlement.id] = (
                partner - (settlement.fee_amount or 0))
        return {n: result[n] for n in name} if isinstance(name, list) \
            else result[name]

    def _get_move_lines(self, query=False):
        """Return the posted accounting lines of the partner's sessions not
        settled yet: the partner's share and the platform's commission (as
        an SQL query of their ids when query is set)"""
        pool = Pool()
        Line = pool.get('account.move.line')
        Configuration = pool.get('ev.configuration')
        config = Configuration(1)
        accounts = [self.party.account_payable_used]
        if config.commission_account:
            accounts.append(config.commission_account)
        return Line.search([
                ('account', 'in', [a.id for a in accounts if a]),
                ('ev_session', '!=', None),
                ('ev_station.partner', '=', self.party.id),
                ('move.state', '=', 'posted'),
                ('move.company', '=', self.company.id),
                ('date', '<=', self.end_date),
                ('ev_settlement', '=', None),
                ], order=[('id', 'ASC')], query=query)

    def _fee(self):
        pool = Pool()
        Agreement = pool.get('ev.partner.agreement')
        fee = Decimal(0)
        for last in _month_ends(self.start_date, self.end_date):
            agreement = Agreement.get_valid(self.partner, last)
            if agreement:
                fee += agreement.fee_per_month
        return self.currency.round(fee)

    @classmethod
    @ModelView.button
    def compute(cls, settlements):
        "Compute the per-station lines from the books"
        pool = Pool()
        Line = pool.get('ev.billing.settlement.line')
        MoveLine = pool.get('account.move.line')
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        Configuration = pool.get('ev.configuration')
        config = Configuration(1)
        Line.delete([l for s in settlements for l in s.lines])
        lines = []
        settlements = cls.browse(settlements)
        move_line = MoveLine.__table__()
        session = Session.__table__()
        cursor = Transaction().connection.cursor()
        commission_id = (config.commission_account.id
            if config.commission_account else None)
        with without_check_access():
            for settlement in settlements:
                payable = settlement.party.account_payable_used
                per_station = defaultdict(lambda: {
                        'partner': Decimal(0), 'commission': Decimal(0),
                        'sessions': 0, 'energy_wh': 0})
                # Summed in SQL: a partner's month is tens of thousands of
                # lines, too many to read as records.
                query = settlement._get_move_lines(query=True)
                amount = move_line.credit - move_line.debit
                cursor.execute(*move_line.select(
                        move_line.ev_station, move_line.account,
                        Sum(amount),
                        where=move_line.id.in_(query),
                        group_by=[move_line.ev_station, move_line.account]))
                for station_id, account_id, total in cursor:
                    values = per_station[station_id]
                    # SQLite sums numerics as floats.
                    total = settlement.currency.round(Decimal(str(total)))
                    if payable and account_id == payable.id:
                        values['partner'] += total
                    elif account_id == commission_id:
                        values['commission'] += total
                # The sessions that brought the station an amount.
                brought = move_line.select(
                    move_line.ev_station.as_('station'),
                    move_line.ev_session.as_('session'),
                    where=move_line.id.in_(query) & (amount > 0),
                    group_by=[move_line.ev_station, move_line.ev_session])
                cursor.execute(*brought.join(session,
                        condition=brought.session == session.id
                        ).select(brought.station, Count(session.id),
                        Sum(Coalesce(session.energy_wh, 0)),
                        group_by=[brought.station]))
                for station_id, count, energy in cursor:
                    per_station[station_id]['sessions'] = count
                    per_station[station_id]['energy_wh'] = int(energy or 0)
                stations = Station.browse(list(per_station))
                for sequence, station in enumerate(sorted(
                            stations, key=lambda s: s.rec_name), 1):
                    values = per_station[station.id]
                    lines.append(Line(
                            settlement=settlement, sequence=sequence,
                            station=station,
                            sessions=values['sessions'],
                            energy_wh=values['energy_wh'],
                            partner_amount=values['partner'],
                            commission_amount=values['commission']))
                settlement.fee_amount = settlement._fee()
            Line.save(lines)
            cls.save(settlements)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, settlements):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, settlements):
        """Mark the books' lines as settled, post the monthly fees and
        prepare the payout"""
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        Move = pool.get('account.move')
        Payment = pool.get('account.payment')
        cursor = Transaction().connection.cursor()
        with without_check_access():
            # Two settlements of one partner must not take the same lines.
            lock(cls, settlements)
            cls.compute(settlements)
            settlements = cls.browse(settlements)
            payments = []
            for settlement in settlements:
                # Written a slice at a time: a partner's month is tens of
                # thousands of lines.
                cursor.execute(*settlement._get_move_lines(query=True))
                for sub in grouped_slice([i for i, in cursor], 1000):
                    MoveLine.write(MoveLine.browse(sub),
                        {'ev_settlement': settlement.id})
                if settlement.fee_amount:
                    move = settlement._get_fee_move()
                    move.save()
                    Move.post([move])
                    settlement.fee_move = move
                if settlement.payout_amount > 0:
                    payment = settlement._get_payout()
                    payment.save()
                    payments.append(payment)
                    settlement.payout = payment
            cls.save(settlements)
            if payments:
                Payment.submit(payments)
        cls.send(settlements)

    def _get_fee_move(self):
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Period = pool.get('account.period')
        config = Configuration(1)
        if not config.settlement_journal or not config.commission_account:
            raise SettlementError(gettext(
                    'ev_billing.msg_settlement_not_configured'))
        date = self.end_date
        return Move(
            company=self.company, journal=config.settlement_journal,
            date=date, period=Period.find(self.company, date=date),
            origin=self, description=gettext(
                'ev_billing.msg_settlement_fee', settlement=self.rec_name),
            lines=[
                MoveLine(account=self.party.account_payable_used,
                    party=self.party, debit=self.fee_amount, credit=0,
                    ev_settlement=self),
                MoveLine(account=config.commission_account,
                    debit=0, credit=self.fee_amount, ev_settlement=self),
                ])

    def _get_payout(self):
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Payment = pool.get('account.payment')
        config = Configuration(1)
        journal = config.payout_journal
        if not journal:
            raise SettlementError(gettext(
                    'ev_billing.msg_settlement_not_configured'))
        return Payment(
            company=self.company, kind='payable', journal=journal,
            party=self.party, currency=self.currency,
            amount=self.payout_amount, date=self.end_date,
            account=self.party.account_payable_used,
            reference=self.rec_name, ev_kind='payout',
            ev_settlement=self)

    @classmethod
    def ev_payout_done(cls, settlements):
        settlements = [s for s in cls.browse(settlements)
            if s.state == 'confirmed' and s.payout
            and s.payout.state == 'succeeded']
        if settlements:
            cls.pay(settlements)

    @classmethod
    @Workflow.transition('paid')
    def pay(cls, settlements):
        pass

    @classmethod
    @ModelView.button
    def send(cls, settlements):
        "E-mail the statement to the partner's contact address"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ActionReport = pool.get('ir.action.report')
        Lang = pool.get('ir.lang')
        report = ActionReport(ModelData.get_id(
                'ev_billing', 'report_settlement_statement'))
        settlements = cls.browse(settlements)
        for settlement in settlements:
            to = settlement.partner.contact_email
            if not to:
                continue
            languages = ([settlement.partner.lang]
                if settlement.partner.lang
                else Lang.search([('code', '=', 'ru')], limit=1))
            msg, _ = get_email(report, settlement, languages)
            language = languages[0].code if languages else None
            with Transaction().set_context(language=language):
                msg['Subject'] = gettext(
                    'ev_billing.msg_settlement_subject',
                    settlement=settlement.rec_name)
            msg['To'] = to
            # Logged in the outbox, sent after the commit.
            deliver(msg, resource=settlement)
            settlement.sent_at = utcnow()
        with without_check_access():
            cls.save(settlements)

    @classmethod
    def create_period(cls, end_date, company, partners=None):
        """Create and confirm the settlements of the partners whose
        settlement period ends on end_date"""
        pool = Pool()
        Partner = pool.get('ev.partner')
        Agreement = pool.get('ev.partner.agreement')
        Session = pool.get('ev.session')
        Configuration = pool.get('ev.configuration')
        if Configuration(1).billing_mode == 'period':
            # The month's client invoices first: they hold the amounts
            # the settlement pays out.
            zone = ZoneInfo(company.timezone or 'UTC')
            end = dt.datetime.combine(
                end_date + dt.timedelta(days=1), dt.time(), tzinfo=zone)
            Session.invoice_pending(
                date=end.astimezone(dt.timezone.utc).replace(tzinfo=None),
                company=company)
        domain = [('company', '=', company.id)]
        if partners is not None:
            domain.append(('id', 'in', [p.id for p in partners]))
        settlements = []
        with without_check_access():
            for partner in Partner.search(domain):
                agreement = Agreement.get_valid(partner, end_date)
                if not agreement:
                    continue
                previous = cls.search([
                        ('partner', '=', partner.id),
                        ('state', 'in', ['confirmed', 'paid']),
                        ], order=[('end_date', 'DESC')], limit=1)
                if previous and previous[0].end_date >= end_date:
                    continue
                start = (previous[0].end_date + dt.timedelta(days=1)
                    if previous else agreement.start_date)
                settlements.append(cls(
                        company=company, partner=partner,
                        currency=agreement.currency, start_date=start,
                        end_date=end_date))
            cls.save(settlements)
            cls.confirm(settlements)
        return settlements

    @classmethod
    def cron_settle(cls, date=None):
        """Settle with every partner whose settlement period ended
        yesterday (in the company's time zone)"""
        pool = Pool()
        Date = pool.get('ir.date')
        Company = pool.get('company.company')
        Partner = pool.get('ev.partner')
        Agreement = pool.get('ev.partner.agreement')
        for company in Company.search([]):
            with Transaction().set_context(company=company.id):
                end = (date or Date.today()) - dt.timedelta(days=1)
            partners = []
            for partner in Partner.search([('company', '=', company.id)]):
                agreement = Agreement.get_valid(partner, end)
                if agreement and _period_ends(
                        agreement.settlement_period, end):
                    partners.append(partner)
            if partners:
                cls.create_period(end, company, partners=partners)


class SettlementLine(sequence_ordered(), ModelSQL, ModelView):
    "A station's part of a partner settlement"
    __name__ = 'ev.billing.settlement.line'
    __string__ = "Partner Settlement Line"

    settlement = fields.Many2One(
        'ev.billing.settlement', "Settlement", required=True,
        ondelete='CASCADE')
    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='RESTRICT')
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    sessions = fields.Integer("Sessions", readonly=True)
    energy_wh = fields.Integer("Energy (Wh)", readonly=True)
    partner_amount = Monetary(
        "Partner Revenue", currency='currency', digits='currency',
        readonly=True)
    commission_amount = Monetary(
        "Platform Commission", currency='currency', digits='currency',
        readonly=True)
    net_amount = fields.Function(Monetary(
            "Revenue net of Tax", currency='currency', digits='currency'),
        'get_net_amount')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('settlement')

    @fields.depends('settlement', '_parent_settlement.currency')
    def on_change_with_currency(self, name=None):
        return self.settlement.currency if self.settlement else None

    def get_net_amount(self, name):
        return (self.partner_amount or 0) + (self.commission_amount or 0)


class SettlementStatement(Report):
    __name__ = 'ev.billing.settlement.statement'


def _period_ends(period, date):
    "Tell whether date is the last day of a settlement period"
    tomorrow = date + dt.timedelta(days=1)
    if period == 'week':
        return date.isoweekday() == 7
    if period == 'month':
        return tomorrow.day == 1
    if period == 'quarter':
        return tomorrow.day == 1 and tomorrow.month in {1, 4, 7, 10}
    return False


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('ev.session|cron_invoice_pending',
                    "Invoice Charging Sessions of the Month"),
                ('ev.billing.settlement|cron_settle',
                    "Settle with Partners"),
                ])
