# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import re

from stdnum.ru import inn as ru_inn
from stdnum.ru import ogrn as ru_ogrn

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from .exceptions import PartnerValidationError
from .tools import utcnow

STATES = [
    ('application', "Application"),
    ('review', "Under Review"),
    ('connected', "Connected"),
    ('suspended', "Suspended"),
    ('disconnected', "Disconnected"),
    ]

# The registration data whose every change is kept in the partner history.
TRACKED_FIELDS = [
    'legal_name', 'country', 'inn', 'kpp', 'ogrn', 'foreign_tax_id',
    'legal_address', 'bank_name', 'bank_bic', 'bank_account',
    'bank_correspondent_account', 'contact_name', 'contact_email',
    'contact_phone', 'website', 'party',
    ]

KPP_RE = re.compile(r'^\d{4}[\dA-Z]{2}\d{3}$')
BIC_RE = re.compile(r'^\d{9}$')
ACCOUNT_RE = re.compile(r'^\d{20}$')


class Partner(Workflow, ModelSQL, ModelView):
    __name__ = 'ev.partner'
    __string__ = "EV Charging Partner"
    _rec_name = 'legal_name'

    _registration_states = {
        'readonly': Eval('state') == 'disconnected',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states={
            'readonly': Eval('state') != 'application',
            })
    party = fields.Many2One(
        'party.party', "Party", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states={
            'readonly': Eval('state') != 'application',
            },
        help="The party the stations, invoices and settlements refer to. "
        "It is created from the registration data when left empty.")
    legal_name = fields.Char(
        "Legal Name", required=True, strip=True,
        states=_registration_states)
    country = fields.Many2One(
        'country.country', "Country of Registration",
        states=_registration_states,
        help="Russian partners give INN, KPP and OGRN; others their "
        "country's tax identifier.")
    inn = fields.Char(
        "INN", size=12, strip=True, states=_registration_states,
        help="Russian taxpayer number: 10 digits for a company, "
        "12 for an individual entrepreneur.")
    kpp = fields.Char(
        "KPP", size=9, strip=True, states=_registration_states,
        help="Russian tax registration reason code, companies only.")
    ogrn = fields.Char(
        "OGRN", size=15, strip=True, states=_registration_states,
        help="Russian state registration number: 13 digits (OGRN) or "
        "15 (OGRNIP).")
    foreign_tax_id = fields.Char(
        "Foreign Tax Identifier", strip=True, states=_registration_states,
        help="VAT or tax number of a partner registered outside Russia.")
    legal_address = fields.Text("Legal Address", states=_registration_states)
    bank_name = fields.Char("Bank", strip=True, states=_registration_states)
    bank_bic = fields.Char(
        "BIC", size=11, strip=True, states=_registration_states,
        help="Russian BIK (9 digits) or SWIFT code.")
    bank_account = fields.Char(
        "Settlement Account", size=34, strip=True,
        states=_registration_states,
        help="Russian account (20 digits) or IBAN.")
    bank_correspondent_account = fields.Char(
        "Correspondent Account", size=20, strip=True,
        states=_registration_states)
    contact_name = fields.Char(
        "Contact Person", strip=True, states=_registration_states)
    contact_email = fields.Char(
        "Contact E-mail", required=True, strip=True,
        states=_registration_states,
        help="Where the platform sends the partner's notices.")
    contact_phone = fields.Char(
        "Contact Phone", strip=True, states=_registration_states)
    website = fields.Char("Website", strip=True, states=_registration_states)
    lang = fields.Many2One(
        'ir.lang', "Language",
        domain=[('translatable', '=', True)],
        help="The language of the e-mails sent to the partner.")
    origin = fields.Selection([
            ('operator', "Operator"),
            ('web', "Web Form"),
            ], "Origin", readonly=True)
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    state_reason = fields.Text(
        "Reason",
        states={
            'readonly': Eval('state') == 'disconnected',
            },
        help="Why the partner was suspended or disconnected; "
        "the partner reads it in the e-mail.")
    applied_at = fields.DateTime("Applied at", readonly=True)
    connected_at = fields.DateTime("Connected at", readonly=True)
    suspended_at = fields.DateTime("Suspended at", readonly=True)
    disconnected_at = fields.DateTime("Disconnected at", readonly=True)
    agreements = fields.One2Many(
        'ev.partner.agreement', 'partner', "Agreements")
    staff = fields.One2Many(
        'res.user', 'ev_partner', "Staff", readonly=True)
    history = fields.One2Many(
        'ev.partner.history', 'partner', "History", readonly=True)
    note = fields.Text("Note")

    del _registration_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_unique', Unique(t, t.company, t.party),
                'ev_partner.msg_partner_party_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._order = [('legal_name', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('application', 'review'),
            ('application', 'disconnected'),
            ('review', 'connected'),
            ('review', 'disconnected'),
            ('connected', 'suspended'),
            ('connected', 'disconnected'),
            ('suspended', 'connected'),
            ('suspended', 'disconnected'),
            ('disconnected', 'review'),
            }
        cls._buttons.update({
                'review': {
                    'invisible': ~Eval('state').in_(
                        ['application', 'disconnected']),
                    'icon': If(Eval('state') == 'disconnected',
                        'tryton-back', 'tryton-forward'),
                    'depends': ['state'],
                    },
                'connect': {
                    'invisible': ~Eval('state').in_(['review', 'suspended']),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'suspend': {
                    'invisible': Eval('state') != 'connected',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'disconnect': {
                    'invisible': Eval('state') == 'disconnected',
                    'icon': 'tryton-delete',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'application'

    @classmethod
    def default_origin(cls):
        return 'operator'

    @classmethod
    def default_applied_at(cls):
        return utcnow()

    def get_rec_name(self, name):
        return self.legal_name

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('legal_name',) + tuple(clause[1:]),
            ('inn',) + tuple(clause[1:]),
            ('party.rec_name',) + tuple(clause[1:]),
            ]

    # Validation

    @classmethod
    def validate_fields(cls, partners, field_names):
        super().validate_fields(partners, field_names)
        cls.check_registration(partners, field_names)

    @classmethod
    def check_registration(cls, partners, field_names=None):
        "Check the Russian identifiers, bank details and contact e-mail"
        if field_names and not (field_names & {
                    'inn', 'kpp', 'ogrn', 'bank_bic', 'bank_account',
                    'bank_correspondent_account', 'contact_email',
                    'country'}):
            return
        for partner in partners:
            partner._check_identifier('inn', ru_inn.is_valid)
            partner._check_identifier('ogrn', ru_ogrn.is_valid)
            partner._check_identifier('kpp', KPP_RE.match)
            if partner.is_russian:
                partner._check_identifier('bank_bic', BIC_RE.match)
                partner._check_identifier('bank_account', ACCOUNT_RE.match)
                partner._check_identifier(
                    'bank_correspondent_account', ACCOUNT_RE.match)
                if partner.inn and len(partner.inn) == 10 and partner.ogrn \
                        and len(partner.ogrn) != 13:
                    raise PartnerValidationError(gettext(
                            'ev_partner.msg_partner_ogrn_company',
                            partner=partner.rec_name))
            if partner.contact_email and not EMAIL_RE.match(
                    partner.contact_email):
                raise PartnerValidationError(gettext(
                        'ev_partner.msg_partner_email_invalid',
                        email=partner.contact_email))

    @property
    def is_russian(self):
        return bool(self.country and self.country.code == 'RU'
            or (not self.country and (self.inn or self.ogrn)))

    def _check_identifier(self, name, check):
        value = getattr(self, name)
        if value and not check(value):
            field = self.__class__._fields[name]
            raise PartnerValidationError(gettext(
                    'ev_partner.msg_partner_identifier_invalid',
                    field=field.string, value=value,
                    partner=self.legal_name or ''))

    # Party

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Party = pool.get('party.party')
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if not values.get('party') and values.get('legal_name'):
                party = Party(
                    name=values['legal_name'], ev_partner=True,
                    lang=values.get('lang'))
                with without_check_access():
                    party.save()
                values['party'] = party.id
        partners = super().create(vlist)
        cls._sync_party(partners)
        History = pool.get('ev.partner.history')
        History.record(partners, 'create')
        return partners

    @classmethod
    def write(cls, *args):
        pool = Pool()
        History = pool.get('ev.partner.history')
        actions = iter(args)
        changes = []
        for partners, values in zip(actions, actions):
            tracked = [f for f in TRACKED_FIELDS if f in values]
            if tracked:
                for partner in partners:
                    for name in tracked:
                        old = History.format_value(partner, name)
                        changes.append((partner, name, old))
        super().write(*args)
        if changes:
            History.record_changes(changes)
        actions = iter(args)
        for partners, values in zip(actions, actions):
            if {'legal_name', 'contact_email', 'contact_phone', 'lang'} \
                    & values.keys():
                cls._sync_party(partners)

    @classmethod
    def _sync_party(cls, partners):
        "Keep the party's name, language and contact mechanisms current"
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        parties, mechanisms = [], []
        for partner in partners:
            party = partner.party
            if not party:
                continue
            if not party.ev_partner:
                party.ev_partner = True
            if partner.lang and party.lang != partner.lang:
                party.lang = partner.lang
            parties.append(party)
            for type_, value in [
                    ('email', partner.contact_email),
                    ('phone', partner.contact_phone)]:
                if not value:
                    continue
                # The current contact comes first: e-mail notifications go
                # to the party's first e-mail. Former ones stay, after it.
                same_type = [m for m in party.contact_mechanisms
                    if m.type == type_]
                current = [m for m in same_type if m.value == value]
                current = current[0] if current else ContactMechanism(
                    party=party, type=type_, value=value)
                if current.id is None or current.sequence != 1:
                    current.sequence = 1
                    mechanisms.append(current)
                for mechanism in same_type:
                    if mechanism != current and (
                            mechanism.sequence is None
                            or mechanism.sequence <= 1):
                        mechanism.sequence = 10
                        mechanisms.append(mechanism)
        with without_check_access():
            Party.save(parties)
            ContactMechanism.save(mechanisms)

    @classmethod
    def copy(cls, partners, default=None):
        default = default.copy() if default is not None else {}
        for name in ['party', 'state', 'agreements', 'applied_at',
                'connected_at', 'suspended_at', 'disconnected_at', 'staff',
                'history']:
            default.setdefault(name, None)
        return super().copy(partners, default=default)

    @classmethod
    def check_modification(cls, mode, partners, values=None, external=False):
        super().check_modification(
            mode, partners, values=values, external=external)
        if mode == 'delete':
            for partner in partners:
                if partner.state != 'application':
                    raise PartnerValidationError(gettext(
                            'ev_partner.msg_partner_delete_state',
                            partner=partner.rec_name))

    # Transitions

    @classmethod
    def _transition_history(cls, partners, state):
        "Record the change of state in the history and the audit log"
        pool = Pool()
        History = pool.get('ev.partner.history')
        AuditLog = pool.get('ev.audit.log')
        changes = [(p, p.state) for p in partners if p.state != state]
        History.record_states(changes, state)
        labels = dict(cls.fields_get(['state'])['state']['selection'])
        AuditLog.log_many([
                ('partner_state', partner, partner.rec_name,
                    labels.get(old), labels.get(state))
                for partner, old in changes])

    @classmethod
    @ModelView.button
    @Workflow.transition('review')
    def review(cls, partners):
        cls._transition_history(partners, 'review')

    @classmethod
    @ModelView.button
    @Workflow.transition('connected')
    def connect(cls, partners):
        cls._transition_history(partners, 'connected')
        cls.write(partners, {'connected_at': utcnow()})

    @classmethod
    @ModelView.button
    @Workflow.transition('suspended')
    def suspend(cls, partners):
        cls._transition_history(partners, 'suspended')
        cls.write(partners, {'suspended_at': utcnow()})

    @classmethod
    @ModelView.button
    @Workflow.transition('disconnected')
    def disconnect(cls, partners):
        cls._transition_history(partners, 'disconnected')
        cls.write(partners, {'disconnected_at': utcnow()})

    @property
    def accepts_sessions(self):
        "Return True when the partner's stations may start new sessions"
        return self.state == 'connected'


EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')


class PartnerHistory(ModelSQL, ModelView):
    __name__ = 'ev.partner.history'
    __string__ = "EV Partner History"

    partner = fields.Many2One(
        'ev.partner', "Partner", required=True, ondelete='CASCADE')
    at = fields.DateTime("At", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    action = fields.Selection([
            ('create', "Registered"),
            ('write', "Changed"),
            ('state', "State Changed"),
            ], "Action", required=True, readonly=True)
    field = fields.Char("Field", readonly=True)
    old_value = fields.Char("Old Value", readonly=True)
    new_value = fields.Char("New Value", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('partner')
        cls._order = [('at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def format_value(cls, partner, name):
        value = getattr(partner, name, None)
        if isinstance(value, ModelSQL):
            return value.rec_name
        if value is None:
            return ''
        return str(value)

    @classmethod
    def _create(cls, vlist):
        user = Transaction().user or None
        at = utcnow()
        for values in vlist:
            values.setdefault('user', user)
            values.setdefault('at', at)
        # The history is written on behalf of whoever changed the partner,
        # even if they may not write the history itself.
        with without_check_access():
            cls.create(vlist)

    @classmethod
    def record(cls, partners, action):
        cls._create([{
                    'partner': p.id,
                    'action': action,
                    'new_value': p.legal_name,
                    } for p in partners])

    @classmethod
    def record_changes(cls, changes):
        Partner = Pool().get('ev.partner')
        strings = Partner.fields_get(TRACKED_FIELDS)
        vlist = []
        for partner, name, old in changes:
            partner = Partner(partner.id)
            new = cls.format_value(partner, name)
            if new == old:
                continue
            vlist.append({
                    'partner': partner.id,
                    'action': 'write',
                    'field': strings[name]['string'],
                    'old_value': old,
                    'new_value': new,
                    })
        cls._create(vlist)

    @classmethod
    def record_states(cls, changes, state):
        Partner = Pool().get('ev.partner')
        state_field = Partner.fields_get(['state'])['state']
        labels = dict(state_field['selection'])
        cls._create([{
                    'partner': p.id,
                    'action': 'state',
                    'field': state_field['string'],
                    'old_value': labels.get(old, old),
                    'new_value': labels.get(state, state),
                    } for p, old in changes])
