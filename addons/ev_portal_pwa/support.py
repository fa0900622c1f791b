# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Support requests from the client app: an ev.message of kind 'support'
whose conversation is the message's chat in Tryton

The client's messages are public chat messages under the web user's e-mail;
staff answer in sao's chat panel. A public answer of staff reaches the
client by e-mail (the support reply template, in the client's language) and
in the app's notification feed; an internal one is a note the client never
sees. The client is not a follower of the chat: Tryton would send its own
untemplated e-mail."""
from email.message import EmailMessage

from trytond.i18n import gettext
from trytond.model import Workflow, fields
from trytond.modules.ev_partner.outbox import deliver, render
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import firstline
from trytond.transaction import Transaction, without_check_access

from .routes import user_language
from .web_user import app_url


class Message(metaclass=PoolMeta):
    __name__ = 'ev.message'

    web_user = fields.Many2One('web.user', "Client Account", readonly=True,
        ondelete='SET NULL',
        states={
            'invisible': Eval('kind') != 'support',
            },
        help="The client who wrote to support from the app: the public "
        "replies of the chat reach them by e-mail and in the app.")
    client_read = fields.Many2One('ir.chat.message', "Read by the Client",
        readonly=True, ondelete='SET NULL',
        help="The client read the conversation in the app up to this "
        "message.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # The client writes again about a resolved request: it is new.
        cls._transitions |= {('resolved', 'new')}

    @classmethod
    def _resource_models(cls):
        return super()._resource_models() | {'ev.session'}

    def chat_language(self, audience='internal'):
        if audience == 'public' and self.web_user:
            return user_language(self.web_user)
        return super().chat_language(audience=audience)

    @classmethod
    @Workflow.transition('new')
    def support_reopen(cls, messages):
        cls.write(messages, {
                'acknowledged_by': None,
                'acknowledged_at': None,
                'resolved_by': None,
                'resolved_at': None,
                })

    # Support requests

    @classmethod
    def support_create(cls, web_user, text, subject=None, session=None):
        """Post the support request of web_user about session (optional)
        with its first message text; subject defaults to the first line"""
        message = cls.post('support', subject or firstline(text), body=text,
            resource=session)
        with without_check_access():
            cls.write([message], {'web_user': web_user.id})
        message = cls(message.id)
        message.support_write(text)
        return cls(message.id)

    def support_write(self, text):
        """Post the client's text in the conversation and return the chat
        message; a resolved request becomes new again"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        ChatMessage = pool.get('ir.chat.message')
        email = self.web_user.email
        with without_check_access():
            chat = ChatMessage(channel=Channel._get_channel(self),
                email=email, content=text, audience='public')
            chat.save()
            # The staff who follow the conversation hear of it.
            Channel.dispatch_message(chat, lambda author: author == email)
            if self.state == 'resolved':
                self.support_reopen([self])
                # Back in the inbox: the operators are told again.
                self.__class__(self.id).deliver()
        return chat

    @classmethod
    def support_threads(cls, messages):
        """Return the public chat messages of each message, oldest first:
        {message id: [ir.chat.message]}"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        ChatMessage = pool.get('ir.chat.message')
        threads = {m.id: [] for m in messages}
        if not messages:
            return threads
        with without_check_access():
            channels = {c.id: int(str(c.resource).split(',')[1])
                for c in Channel.search([
                        ('resource', 'in', [str(m) for m in messages]),
                        ])}
            for chat in ChatMessage.search([
                        ('channel', 'in', list(channels)),
                        ('audience', '=', 'public'),
                        ], order=[('id', 'ASC')]):
                threads[channels[chat.channel.id]].append(chat)
        return threads

    @classmethod
    def support_replies(cls, web_user, since):
        """Return [(message, chat message)] of the public replies of staff
        to the requests of web_user since, newest first"""
        with without_check_access():
            messages = cls.search([
                    ('web_user', '=', web_user.id),
                    ('kind', '=', 'support'),
                    ])
            replies = []
            for message_id, chats in cls.support_threads(messages).items():
                replies.extend((cls(message_id), c) for c in chats
                    if c.user is not None and c.create_date >= since)
        replies.sort(key=lambda r: r[1].id, reverse=True)
        return replies

    def support_unread(self, chats):
        "Whether a reply of staff among chats is newer than the client read"
        read = self.client_read.id if self.client_read else 0
        return any(c.user is not None and c.id > read for c in chats)

    def support_mark_read(self, chats):
        "The client read the conversation up to the newest of chats"
        if not chats:
            return
        newest = max(c.id for c in chats)
        if not self.client_read or newest > self.client_read.id:
            with without_check_access():
                self.write([self], {'client_read': newest})

    @classmethod
    def support_replied(cls, chats):
        """Tell the clients of the staff's public replies chats: by e-mail;
        the app's feed lists them. A new request is acknowledged."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        for chat in chats:
            message = chat.channel.resource
            with Transaction().set_context(language=user_language(
                        message.web_user)):
                language = Lang.get()
                msg = EmailMessage()
                msg['To'] = message.web_user.email
                msg['Subject'] = gettext(
                    'ev_portal_pwa.msg_support_reply_subject',
                    subject=message.subject)
                # The template reads the staff's name and the request.
                with Transaction().set_user(0):
                    render(msg, 'ev_portal_pwa.report_support_reply_email',
                        chat, language)
            deliver(msg, resource=message)
            if message.state == 'new':
                cls.acknowledge([message])


class ChatMessage(metaclass=PoolMeta):
    __name__ = 'ir.chat.message'

    @classmethod
    def on_modification(cls, mode, chats, field_names=None):
        pool = Pool()
        Message = pool.get('ev.message')
        super().on_modification(mode, chats, field_names=field_names)
        if mode != 'create':
            return
        replies = []
        with without_check_access():
            for chat in chats:
                resource = chat.channel.resource
                # Only what staff (a res.user) say to the client.
                if (chat.audience == 'public' and chat.user is not None
                        and isinstance(resource, Message)
                        and resource.kind == 'support'
                        and resource.web_user):
                    replies.append(chat)
        if replies:
            Message.support_replied(replies)


class SupportReplyEmail(Report):
    __name__ = 'ev.message.support_reply'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['request_url'] = cls.request_url
        return context

    @staticmethod
    def request_url(chat):
        "The link that opens the request in the client app"
        return '%s#/support/%s' % (app_url(), chat.channel.resource.id)
