# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The operator message centre: one inbox for what the platform must tell
its staff

Every module posts through `Message.post`; delivery (sao notifications and
e-mail by rule) and deduplication live here, so a module only says what
happened and to whom it matters."""
import datetime as dt
import json
import logging
from email.message import EmailMessage

from sql import Null
from sql.operators import Equal

from trytond.i18n import gettext
from trytond.model import (
    ChatMixin, Exclude, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.tools import firstline
from trytond.transaction import (
    Transaction, check_access, without_check_access)
from trytond.url import http_base

from .tools import utcnow

logger = logging.getLogger(__name__)

KINDS = [
    ('error', "System Error"),
    ('support', "Support"),
    ('station', "Station"),
    ('confirmation', "Confirmation"),
    ('info', "Information"),
    ]
PRIORITIES = [
    ('low', "Low"),
    ('normal', "Normal"),
    ('high', "High"),
    ('urgent', "Urgent"),
    ]
RANKS = {p: i for i, (p, _) in enumerate(PRIORITIES)}
# Partner staff hear of their own network's stations and summaries; the
# rest (the platform's errors, support) is the platform owner's.
PARTNER_KINDS = {'station', 'info'}
PARTNER_ROLES = ['group_ev_partner_technician', 'group_ev_partner_manager']
OPERATOR_ROLES = ['group_ev_operator', 'group_ev_admin']
ICONS = {
    'error': 'tryton-error',
    'support': 'tryton-chat',
    'station': 'tryton-warning',
    'confirmation': 'tryton-ok',
    'info': 'tryton-info',
    }


def _render(text, msg_id, variables):
    "Return msg_id rendered in the context language, else the stored text"
    if msg_id:
        try:
            return gettext(msg_id, **variables)
        except Exception:
            # A message removed with its module must not hide the inbox.
            logger.warning("cannot render %s", msg_id, exc_info=True)
    return text


class Message(Workflow, ModelSQL, ModelView, ChatMixin):
    __name__ = 'ev.message'
    __string__ = "Operator Message"

    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    kind_string = kind.translated('kind')
    priority = fields.Selection(PRIORITIES, "Priority", required=True,
        sort=False, states={
            'readonly': Eval('state') == 'resolved',
            })
    priority_string = priority.translated('priority')
    rank = fields.Integer("Rank", readonly=True,
        help="The priority as a number, to sort the inbox by.")
    state = fields.Selection([
            ('new', "New"),
            ('acknowledged', "Acknowledged"),
            ('resolved', "Resolved"),
            ], "State", required=True, readonly=True, sort=False)
    # The text as posted, in the platform's language: what search finds.
    subject = fields.Char("Subject", required=True, readonly=True)
    body = fields.Text("Body", readonly=True)
    # When posted from ir.message, each reader gets their own language.
    subject_msg = fields.Char("Subject Message", readonly=True)
    body_msg = fields.Char("Body Message", readonly=True)
    variables = fields.Text("Variables", readonly=True)
    title = fields.Function(fields.Char("Title"), 'get_text',
        searcher='search_title')
    description = fields.Function(fields.Text("Description"), 'get_text')
    key = fields.Char("Key", readonly=True,
        help="While a message with this key is open, the same event only "
        "counts one more occurrence.")
    occurrences = fields.Integer("Occurrences", readonly=True)
    last_at = fields.DateTime("Last at", readonly=True)
    resource = fields.Reference("Concerning", selection='get_resources',
        readonly=True)
    partner = fields.Many2One('party.party', "Partner", readonly=True,
        ondelete='CASCADE', domain=[('ev_partner', '=', True)],
        help="Its staff receive the message as well.")
    initiator = fields.Many2One('res.user', "Initiator", readonly=True,
        ondelete='SET NULL',
        help="The user who started the operation the message reports on.")
    assignee = fields.Many2One('res.user', "Assignee", ondelete='SET NULL',
        states={
            'readonly': Eval('state') == 'resolved',
            })
    assigned_to_me = fields.Function(fields.Boolean("Assigned to Me"),
        'get_assigned_to_me', searcher='search_assigned_to_me')
    recipients = fields.Many2Many('ev.message-res.user', 'message', 'user',
        "Recipients", readonly=True)
    acknowledged_by = fields.Many2One('res.user', "Acknowledged by",
        readonly=True, ondelete='SET NULL')
    acknowledged_at = fields.DateTime("Acknowledged at", readonly=True)
    resolved_by = fields.Many2One('res.user', "Resolved by", readonly=True,
        ondelete='SET NULL')
    resolved_at = fields.DateTime("Resolved at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state != 'resolved'),
                Index(t, (t.key, Index.Equality()),
                    where=(t.key != Null) & (t.state != 'resolved')),
                Index(t, (t.partner, Index.Range())),
                })
        # Two events of one key at the same moment: the database keeps one
        # open message, the other call fails and is retried (the daemon's
        # outbox retries, trytond retries a conflicting request).
        cls._sql_constraints += [
            ('key_open_exclude',
                Exclude(t, (t.key, Equal),
                    where=(t.key != Null) & (t.state != 'resolved')),
                'ev_partner.msg_message_key_open_unique'),
            ]
        cls._order = [
            ('rank', 'DESC'), ('last_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('new', 'acknowledged'),
            ('new', 'resolved'),
            ('acknowledged', 'resolved'),
            ('resolved', 'acknowledged'),
            }
        cls._buttons.update({
                'acknowledge': {
                    'invisible': Eval('state') != 'new',
                    'depends': ['state'],
                    },
                'resolve': {
                    'invisible': Eval('state') == 'resolved',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'resolved',
                    'icon': If(Eval('state') == 'resolved',
                        'tryton-undo', 'tryton-forward'),
                    'depends': ['state'],
                    },
                'take': {
                    'invisible': Eval('state') == 'resolved',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'new'

    @classmethod
    def default_priority(cls):
        return 'normal'

    @classmethod
    def default_occurrences(cls):
        return 1

    @classmethod
    def get_resources(cls):
        "The models a message may concern; modules extend it"
        pool = Pool()
        Model = pool.get('ir.model')
        ModelAccess = pool.get('ir.model.access')
        names = cls._resource_models()
        # Only what the user may read: trytond hides a reference field from
        # a user who may read none of its models, and partner staff may not
        # read the platform's jobs, errors or e-mails.
        return [(None, '')] + [(m, n) for m, n in Model.get_name_items()
            if m in names
            and ModelAccess.check(m, 'read', raise_exception=False)]

    @classmethod
    def _resource_models(cls):
        return {'ev.partner', 'party.party', 'res.user', 'ir.cron',
            'ir.queue', 'ir.error', 'ir.email'}

    def get_assigned_to_me(self, name):
        return self.assignee is not None \
            and self.assignee.id == Transaction().user

    @classmethod
    def search_assigned_to_me(cls, name, clause):
        _, operator, value = clause[:3]
        mine = ('assignee', '=', Transaction().user)
        if (operator == '=') == bool(value):
            return [mine]
        return ['OR', ('assignee', '=', None),
            ('assignee', '!=', Transaction().user)]

    @classmethod
    def get_text(cls, messages, names):
        result = {n: {} for n in names}
        for message in messages:
            variables = json.loads(message.variables or '{}')
            if 'title' in names:
                result['title'][message.id] = _render(
                    message.subject, message.subject_msg, variables)
            if 'description' in names:
                result['description'][message.id] = _render(
                    message.body, message.body_msg, variables)
        return result

    @classmethod
    def search_title(cls, name, clause):
        return [('subject', *clause[1:])]

    def get_rec_name(self, name):
        return self.title

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('subject', *clause[1:])]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'priority' in values:
            values['rank'] = RANKS[values['priority']]
        return values

    # Workflow

    @classmethod
    @ModelView.button
    @Workflow.transition('acknowledged')
    def acknowledge(cls, messages):
        cls.write(messages, {
                'acknowledged_by': Transaction().user,
                'acknowledged_at': utcnow(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('resolved')
    def resolve_messages(cls, messages):
        cls.write(messages, {
                'resolved_by': Transaction().user or None,
                'resolved_at': utcnow(),
                })

    @classmethod
    @ModelView.button
    def resolve(cls, messages):
        cls.resolve_messages(messages)

    @classmethod
    @ModelView.button
    @Workflow.transition('acknowledged')
    def reopen(cls, messages):
        cls.write(messages, {'resolved_by': None, 'resolved_at': None})

    @classmethod
    @ModelView.button
    def take(cls, messages):
        "Assign the messages to the current user and acknowledge them"
        cls.write(messages, {'assignee': Transaction().user})
        cls.acknowledge([m for m in messages if m.state == 'new'])

    # Posting

    @classmethod
    def post(cls, kind, subject, body=None, priority='normal', key=None,
            resource=None, partner=None, initiator=None):
        """Post a message and deliver it, or count one more occurrence of
        the open message with the same key

        subject and body are str or (ir.message id, variables)."""
        now = utcnow()
        with without_check_access():
            if key:
                open_ = cls.search([
                        ('key', '=', key),
                        ('state', '!=', 'resolved'),
                        ], limit=1)
                if open_:
                    message, = open_
                    values = {
                        'occurrences': (message.occurrences or 1) + 1,
                        'last_at': now,
                        }
                    # A worse occurrence raises the priority, quietly.
                    if RANKS[priority] > RANKS[message.priority]:
                        values['priority'] = priority
                    cls.write([message], values)
                    return message
            message = cls(kind=kind, priority=priority, key=key,
                last_at=now, occurrences=1,
                resource=str(resource) if resource else None,
                partner=partner, initiator=initiator)
            message._set_text(subject, body)
            message.save()
            message.deliver()
        return message

    def _set_text(self, subject, body):
        pool = Pool()
        Configuration = pool.get('ir.configuration')
        variables = {}
        with Transaction().set_context(
                language=Configuration.get_language()):
            if isinstance(subject, (tuple, list)):
                self.subject_msg, variables = subject[0], dict(subject[1])
                self.subject = firstline(
                    gettext(self.subject_msg, **variables))[:250]
            else:
                self.subject = firstline(subject or '')[:250] or '-'
            if isinstance(body, (tuple, list)):
                self.body_msg = body[0]
                variables.update(body[1])
                self.body = gettext(self.body_msg, **variables)
            else:
                self.body = body
        self.variables = json.dumps(
            {k: str(v) for k, v in variables.items()}) if variables else None

    @classmethod
    def resolve_key(cls, key):
        "Resolve the open messages with key (or a list of keys); return them"
        keys = [key] if isinstance(key, str) else list(key)
        with without_check_access():
            messages = cls.search([
                    ('key', 'in', keys),
                    ('state', '!=', 'resolved'),
                    ])
            if messages:
                cls.resolve_messages(messages)
        return messages

    # Informational messages

    @classmethod
    def post_daily_summary(cls, date=None):
        """Post yesterday's summary for the platform and for each partner
        (the cron runs it once a day)"""
        pool = Pool()
        Date = pool.get('ir.date')
        Partner = pool.get('ev.partner')
        date = date or (Date.today() - dt.timedelta(days=1))
        with without_check_access():
            # The partners whose network runs, not the applications.
            partners = [p.party for p in Partner.search([
                        ('state', '=', 'connected'),
                        ('party', '!=', None),
                        ])]
        for partner in [None] + partners:
            lines = cls._summary_lines(date, partner)
            body = '\n'.join(gettext(m, **v) for m, v in lines)
            key = 'summary:%s:%s' % (date, partner.id if partner else '')
            # The summary of a day is posted once, even when run again.
            with without_check_access():
                if cls.search([('key', '=', key)], limit=1):
                    continue
            message = cls.post('info',
                ('ev_partner.msg_daily_summary_subject', {'date': date}),
                body, priority='low', key=key, partner=partner)
            # Nothing to act upon: it is read, not resolved.
            cls.resolve_messages([message])

    @classmethod
    def _summary_lines(cls, date, partner):
        """Return the lines of the summary of date, for partner or the
        platform: [(ir.message id, variables)]; modules add theirs"""
        domain = [('state', '!=', 'resolved'), ('kind', '!=', 'info')]
        if partner:
            domain.append(('partner', '=', partner.id))
        with without_check_access():
            messages = cls.search(domain)
        return [('ev_partner.msg_daily_summary_open', {
                    'open': len(messages),
                    'high': len([m for m in messages
                            if RANKS[m.priority] >= RANKS['high']]),
                    })]

    # Delivery

    def get_recipients(self):
        "Return the users who receive the message"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')

        def group(xml_id):
            return ModelData.get_id('ev_partner', xml_id)
        if self.kind == 'confirmation':
            return [self.initiator] if self.initiator else []
        if self.kind == 'info' and self.partner:
            # A partner's own summary is its staff's: the operators have
            # the platform's.
            users = []
        else:
            users = User.search([
                    ('groups', 'in', [group(g) for g in OPERATOR_ROLES]),
                    ('ev_partner', '=', None),
                    ])
        if self.partner and self.kind in PARTNER_KINDS:
            users += User.search([
                    ('ev_partner.party', '=', self.partner.id),
                    ('groups', 'in', [group(g) for g in PARTNER_ROLES]),
                    ])
        if self.assignee:
            users.append(self.assignee)
        # The root user is no one's inbox.
        return sorted({u for u in users if u.id}, key=lambda u: u.id)

    def deliver(self):
        "Notify the recipients in sao and e-mail those a rule names"
        pool = Pool()
        Notification = pool.get('res.notification')
        Rule = pool.get('ev.message.rule')
        users = self.get_recipients()
        self.recipients = users
        self.save()
        notifications = []
        for user in users:
            # A record reads in the language of the context it was made
            # in: read it again in the user's.
            with Transaction().set_context(language=user.language.code
                    if user.language else None):
                message = self.__class__(self.id)
                title, description = message.title, message.description
            notifications.append(Notification(
                    user=user, label=title,
                    description=firstline(description or ''),
                    icon=ICONS[self.kind], model=self.__name__,
                    records=json.dumps([self.id])))
        Notification.save(notifications)
        to_email = Rule.email_recipients(self, users)
        if to_email:
            self.send_email(to_email)

    def send_email(self, users):
        "E-mail the message to each user at their addresses for it"
        pool = Pool()
        Lang = pool.get('ir.lang')
        from .outbox import deliver, render
        for user in users:
            addresses = user.ev_addresses_for(
                'support' if self.kind == 'support' else 'alerts')
            if not addresses:
                continue
            language = user.language or Lang.get()
            with Transaction().set_context(language=language.code):
                message = self.__class__(self.id)
                subject = gettext('ev_partner.msg_message_email_subject',
                    kind=message.kind_string, title=message.title)
                msg = EmailMessage()
                msg['To'] = ', '.join(addresses)
                msg['Subject'] = subject
                render(msg, 'ev_partner.report_message_email', self,
                    language)
            deliver(msg, resource=self)


class Channel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    def check_access(cls, resource):
        """Apply the record rules of the messages too: upstream checks only
        the model's access, and a support request's public reply reaches
        the client"""
        pool = Pool()
        super().check_access(resource)
        model, id_ = str(resource).split(',')
        if model == 'ev.message' and Transaction().user:
            Message = pool.get('ev.message')
            with check_access():
                # Raises AccessError when a rule hides the message.
                Message.read([int(id_)], ['kind'])


class MessageUser(ModelSQL):
    __name__ = 'ev.message-res.user'
    __string__ = "Operator Message - User"

    message = fields.Many2One('ev.message', "Message", required=True,
        ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", required=True,
        ondelete='CASCADE')


class MessageRule(ModelSQL, ModelView):
    __name__ = 'ev.message.rule'
    __string__ = "Operator Message E-mail Rule"

    name = fields.Char("Name", required=True, translate=True)
    active = fields.Boolean("Active")
    kind = fields.Selection([(None, "")] + KINDS, "Kind",
        help="Leave empty for every kind.")
    priority = fields.Selection(PRIORITIES, "Minimum Priority",
        required=True, sort=False)
    group = fields.Many2One('res.group', "Group", ondelete='CASCADE',
        help="Only the recipients in this group; empty for all of them.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_active(cls):
        return True

    @classmethod
    def default_priority(cls):
        return 'normal'

    def match(self, message, user):
        if self.kind and self.kind != message.kind:
            return False
        if RANKS[message.priority] < RANKS[self.priority]:
            return False
        if self.group and self.group not in user.groups:
            return False
        return True

    @classmethod
    def email_recipients(cls, message, users):
        "Return the users a rule says get the message by e-mail"
        with without_check_access():
            rules = cls.search([('active', '=', True)])
        return [u for u in users if any(r.match(message, u) for r in rules)]


class MessageEmail(Report):
    __name__ = 'ev.message.email'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['open_url'] = cls.open_url
        return context

    @staticmethod
    def open_url(message):
        "The link that opens the message in sao"
        return '%s/#%s/model/ev.message/%s' % (http_base().rstrip('/'),
            Transaction().database.name, message.id)
