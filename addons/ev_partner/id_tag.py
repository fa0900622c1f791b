# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import IdTagValidationError
from .tools import utcnow


class IdTag(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'ev.id_tag'
    __string__ = "EV ID Tag"
    _rec_name = 'code'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    # OCPP 1.6 idToken is CiString20, 2.0.1 IdTokenType.idToken is 36.
    code = fields.Char(
        "Code", required=True, size=36, strip=True,
        help="The identifier the charger sends: the RFID card UID or the "
        "token of the client app.")
    kind = fields.Selection([
            ('rfid', "RFID Card"),
            ('app', "App Token"),
            ('other', "Other"),
            ], "Kind", required=True)
    party = fields.Many2One(
        'party.party', "Client", ondelete='RESTRICT',
        domain=[('ev_client', '=', True)],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    status = fields.Selection([
            ('accepted', "Accepted"),
            ('blocked', "Blocked"),
            ('expired', "Expired"),
            ], "Status", required=True,
        help="What the platform answers when a charger asks to authorize "
        "this tag.")
    expires_at = fields.DateTime(
        "Expires at", help="UTC. Past this instant the tag is expired.")
    parent = fields.Many2One(
        'ev.id_tag', "Parent Tag", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('id', -1)),
            ],
        help="Tags sharing a parent belong to one account (OCPP parentIdTag): "
        "for instance the cards of a fleet.")
    children = fields.One2Many('ev.id_tag', 'parent', "Child Tags")
    effective_status = fields.Function(
        fields.Selection('get_status_selection', "Effective Status"),
        'get_effective_status')
    note = fields.Text("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'ev_partner.msg_id_tag_code_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.code, Index.Equality())))
        cls._order.insert(0, ('code', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'rfid'

    @classmethod
    def default_status(cls):
        return 'accepted'

    @classmethod
    def get_status_selection(cls):
        return cls.fields_get(['status'])['status']['selection']

    def get_effective_status(self, name, at=None):
        "Return the status that an authorization at 'at' (UTC) gets"
        if at is None:
            at = utcnow()
        if not self.active:
            return 'blocked'
        if self.status != 'accepted':
            return self.status
        if self.expires_at and self.expires_at <= at:
            return 'expired'
        if self.parent:
            return self.parent.get_effective_status(name, at=at)
        return 'accepted'

    @classmethod
    def validate_fields(cls, tags, field_names):
        super().validate_fields(tags, field_names)
        cls.check_parent(tags, field_names)
        cls.check_code(tags, field_names)

    @classmethod
    def check_parent(cls, tags, field_names=None):
        if field_names and 'parent' not in field_names:
            return
        for tag in tags:
            seen = {tag.id}
            parent = tag.parent
            while parent:
                if parent.id in seen:
                    raise IdTagValidationError(gettext(
                            'ev_partner.msg_id_tag_parent_cycle',
                            tag=tag.rec_name))
                seen.add(parent.id)
                parent = parent.parent

    @classmethod
    def check_code(cls, tags, field_names=None):
        if field_names and 'code' not in field_names:
            return
        for tag in tags:
            # OCPP identifiers are printable ASCII without spaces.
            if (not tag.code.isascii() or not tag.code.isprintable()
                    or ' ' in tag.code):
                raise IdTagValidationError(gettext(
                        'ev_partner.msg_id_tag_code_invalid',
                        code=tag.code))

    @classmethod
    def issue_app_token(cls, party):
        "Create and return an accepted app token for the client party"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        config = Configuration(1)
        tag = cls(
            code=config.id_tag_sequence.get(),
            kind='app', party=party, status='accepted')
        tag.save()
        return tag

    @classmethod
    def copy(cls, tags, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('children')
        default.setdefault('code', lambda d: d['code'] + '-COPY')
        return super().copy(tags, default=default)
