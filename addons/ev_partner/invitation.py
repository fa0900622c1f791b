# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import hashlib
import logging
import secrets
import urllib.parse

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id
from trytond.report import Report, get_email
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_base

from .exceptions import InvitationError
from .outbox import deliver
from .partner import EMAIL_RE
from .tools import utcnow

logger = logging.getLogger(__name__)

# How long the link of an invitation stays valid once sent.
VALIDITY = dt.timedelta(days=7)
# The roles a partner hands out to its staff; never the platform's own.
ROLES = ['role_ev_manager', 'role_ev_technician', 'role_ev_accountant']
# Only the invitation's own methods change these, never a client.
PROTECTED_FIELDS = {
    'state', 'token_hash', 'expires_at', 'sent_at', 'accepted_at', 'user',
    'invited_by'}


def hash_token(token):
    "Return the hash under which the token of an invitation is stored"
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


class Invitation(Workflow, ModelSQL, ModelView):
    __name__ = 'ev.partner.invitation'
    __string__ = "EV Partner Staff Invitation"
    _rec_name = 'email'

    _states = {
        'readonly': Eval('state') != 'pending',
        }

    partner = fields.Many2One(
        'ev.partner', "Partner", required=True, ondelete='CASCADE',
        states=_states)
    email = fields.Char(
        "E-mail", required=True, strip=True, states=_states,
        help="Where the invitation link is sent.")
    role = fields.Many2One(
        'res.role', "Role", required=True, ondelete='RESTRICT',
        domain=[
            ('id', 'in', [Id('ev_partner', r) for r in ROLES]),
            ],
        states=_states,
        help="The role the new user gets in the partner's team.")
    lang = fields.Many2One(
        'ir.lang', "Language",
        domain=[('translatable', '=', True)],
        states=_states,
        help="The language of the invitation e-mail and page.")
    state = fields.Selection([
            ('pending', "Pending"),
            ('accepted', "Accepted"),
            ('cancelled', "Cancelled"),
            ('expired', "Expired"),
            ], "State", readonly=True, required=True, sort=False)
    expires_at = fields.DateTime(
        "Expires at", readonly=True,
        help="The link of the invitation is refused after this moment.")
    sent_at = fields.DateTime("Sent at", readonly=True)
    accepted_at = fields.DateTime("Accepted at", readonly=True)
    invited_by = fields.Many2One(
        'res.user', "Invited by", readonly=True, ondelete='SET NULL')
    user = fields.Many2One(
        'res.user', "User", readonly=True, ondelete='SET NULL',
        help="The user created when the invitation was accepted.")
    # Only the hash is kept: the clear token lives in the e-mail alone.
    token_hash = fields.Char("Token Hash", readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('token_hash_unique', Unique(t, t.token_hash),
                'ev_partner.msg_invitation_token_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.token_hash, Index.Equality())),
                Index(t, (t.state, Index.Equality()),
                    where=t.state == 'pending'),
                })
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('pending', 'cancelled'),
            ('pending', 'expired'),
            ('pending', 'accepted'),
            ('expired', 'pending'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': ~Eval('state').in_(['pending', 'expired']),
                    'icon': 'tryton-email',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'pending',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_partner(cls):
        pool = Pool()
        User = pool.get('res.user')
        user = Transaction().user
        if user:
            user = User(user)
            if user.ev_partner:
                return user.ev_partner.id

    @classmethod
    def default_role(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        return ModelData.get_id('ev_partner', 'role_ev_technician')

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_invited_by(cls):
        return Transaction().user or None

    @fields.depends('partner', '_parent_partner.lang', 'lang')
    def on_change_partner(self):
        if self.partner and self.partner.lang and not self.lang:
            self.lang = self.partner.lang

    @classmethod
    def validate_fields(cls, invitations, field_names):
        super().validate_fields(invitations, field_names)
        if field_names and 'email' not in field_names:
            return
        for invitation in invitations:
            if not EMAIL_RE.match(invitation.email or ''):
                raise InvitationError(gettext(
                        'ev_partner.msg_partner_email_invalid',
                        email=invitation.email))

    @classmethod
    def check_modification(
            cls, mode, invitations, values=None, external=False):
        super().check_modification(
            mode, invitations, values=values, external=external)
        if not external:
            return
        # The state, the token and the user follow the invitation's own
        # methods: a client that writes them could forge an acceptance.
        if mode == 'write' and PROTECTED_FIELDS & values.keys():
            raise AccessError(gettext('ev_partner.msg_invitation_protected'))
        if mode == 'create':
            user = Transaction().user
            for invitation in invitations:
                if (invitation.state != 'pending'
                        or invitation.token_hash
                        or invitation.user
                        or invitation.sent_at
                        or invitation.accepted_at
                        or invitation.expires_at
                        or (invitation.invited_by
                            and invitation.invited_by.id != user)):
                    raise AccessError(
                        gettext('ev_partner.msg_invitation_protected'))

    @classmethod
    def copy(cls, invitations, default=None):
        default = default.copy() if default is not None else {}
        for name in PROTECTED_FIELDS:
            default.setdefault(name, None)
        default.setdefault('state', 'pending')
        default.setdefault('invited_by', Transaction().user or None)
        return super().copy(invitations, default=default)

    @property
    def is_valid(self):
        "Return True when the invitation's link may still be accepted"
        return bool(self.state == 'pending' and self.token_hash
            and self.expires_at and self.expires_at > utcnow())

    @classmethod
    def get_from_token(cls, token):
        "Return the invitation of the clear token or None"
        if not token:
            return None
        invitations = cls.search([
                ('token_hash', '=', hash_token(token)),
                ], limit=1)
        if invitations:
            return invitations[0]

    def get_url(self, token):
        "Return the link of the acceptance page for the clear token"
        # The host of the request when sent from the back office, else the
        # [web] hostname of the configuration (trytond.url).
        base = http_base().rstrip('/')
        database = Transaction().database.name
        return '%s/%s/ev_partner/invitation/%s' % (
            base, urllib.parse.quote(database), token)

    @property
    def languages(self):
        pool = Pool()
        Lang = pool.get('ir.lang')
        Configuration = pool.get('ir.configuration')
        if self.language:
            return [self.language]
        return Lang.search([
                ('code', '=', Configuration.get_language()),
                ], limit=1)

    @classmethod
    @ModelView.button
    def send(cls, invitations):
        "Send (or send again) the link: a new token voids the previous one"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ActionReport = pool.get('ir.action.report')
        invitations = [i for i in invitations
            if i.state in {'pending', 'expired'}]
        if not invitations:
            return
        report = ActionReport(ModelData.get_id(
                'ev_partner', 'report_invitation_email'))
        now = utcnow()
        tokens = {}
        for invitation in invitations:
            token = secrets.token_urlsafe(32)
            tokens[invitation.id] = token
            invitation.state = 'pending'
            invitation.token_hash = hash_token(token)
            invitation.sent_at = now
            invitation.expires_at = now + VALIDITY
        with without_check_access():
            cls.save(invitations)
        for invitation in invitations:
            languages = invitation.languages
            with Transaction().set_context(
                    ev_invitation_url=invitation.get_url(
                        tokens[invitation.id])):
                msg, _ = get_email(report, invitation, languages)
            language = languages[-1].code if languages else None
            with Transaction().set_context(language=language):
                msg['Subject'] = gettext(
                    'ev_partner.msg_invitation_subject',
                    partner=invitation.partner.rec_name)
            msg['To'] = invitation.email
            # The link is a secret: the outbox logs the e-mail without its
            # body, and it cannot be sent again (send makes a new link).
            deliver(msg, resource=invitation, keep=False)
            logger.info("invitation %s sent", invitation.id)

    @classmethod
    @ModelView.button
    def cancel(cls, invitations):
        # The state is protected from clients, the button is not.
        with without_check_access():
            cls._cancel(invitations)

    @classmethod
    @Workflow.transition('cancelled')
    def _cancel(cls, invitations):
        pass

    @classmethod
    def expire(cls):
        "Mark the pending invitations whose link has expired"
        invitations = cls.search([
                ('state', '=', 'pending'),
                ('expires_at', '<', utcnow()),
                ])
        cls._expire(invitations)

    @classmethod
    @Workflow.transition('expired')
    def _expire(cls, invitations):
        pass

    @property
    def language(self):
        "Return the language the invitee reads, or None"
        return self.lang or self.partner.lang

    def accept(self, login, name, password, language=None):
        """Create the user of the invitation and return it

        It runs on behalf of the invitee, who has no user yet: the caller
        must have checked the token, and the password against the policy.
        The user works in the language of the invitation, else in language
        (the code of the page where the invitation was accepted).
        """
        pool = Pool()
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        assert self.is_valid
        partner = self.partner
        lang = self.lang
        if not lang and language:
            langs = Lang.search([
                    ('code', '=', language),
                    ('translatable', '=', True),
                    ], limit=1)
            lang = langs[0] if langs else None
        with without_check_access():
            user, = User.create([{
                        'login': login,
                        'name': name,
                        'password': password,
                        'email': self.email,
                        'language': lang.id if lang else None,
                        'ev_partner': partner.id,
                        'companies': [('add', [partner.company.id])],
                        'company': partner.company.id,
                        'roles': [('create', [{
                                        'role': self.role.id,
                                        }])],
                        }])
            self.user = user
            self.accepted_at = utcnow()
            self.save()
            self.__class__._accept([self])
        return user

    @classmethod
    @Workflow.transition('accepted')
    def _accept(cls, invitations):
        pass


class InvitationEmail(Report):
    __name__ = 'ev.partner.invitation.email'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['url'] = Transaction().context.get('ev_invitation_url')
        context['validity'] = VALIDITY
        return context


class Partner(metaclass=PoolMeta):
    __name__ = 'ev.partner'

    invitations = fields.One2Many(
        'ev.partner.invitation', 'partner', "Staff Invitations",
        help="The people invited to join the partner's team.")

    @classmethod
    def copy(cls, partners, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('invitations', None)
        return super().copy(partners, default=default)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('ev.partner.invitation|expire', "Expire Staff Invitations"))
