# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client's support requests: write to support from the app, about a
session if they like, and read the replies

A request is an ev.message of kind 'support' of the client's web user; its
conversation is the public part of the message's chat (support.py). The
client sees only their own requests."""
from trytond.protocols.wrappers import HTTPStatus

from .api_account import integer
from .exceptions import BadRequestError, NotFoundError, TooManyRequestsError
from .routes import (
    LABELS, MAX_TEXT_LENGTH, api, as_client, error, json_response, label,
    read_json, support_limiter, support_message_limiter, text)

MAX_MESSAGE_LENGTH = 4000

LABELS.update({
        'subject': ('ev.message', 'subject'),
        'session': ('ev.message', 'resource'),
        'text': ('ir.chat.message', 'content'),
        })


def message_text(pool, data):
    "Return the text of a message to support, or raise a 400"
    value = data.get('text')
    if value is not None and not isinstance(value, str):
        raise error(BadRequestError, 'msg_api_value_invalid',
            field=label(pool, 'text'), value=str(value)[:MAX_TEXT_LENGTH])
    value = (value or '').strip()
    if not value:
        raise error(BadRequestError, 'msg_support_text_required')
    if len(value) > MAX_MESSAGE_LENGTH:
        raise error(BadRequestError, 'msg_support_text_too_long',
            max=MAX_MESSAGE_LENGTH)
    return value


def client_session(pool, user, data):
    "Return the client's session of data, None without one, or raise a 404"
    Session = pool.get('ev.session')
    if data.get('session') in {None, ''}:
        return None
    session_id = integer(pool, data, 'session')
    with as_client(pool, user):
        # The EV Client rules confine the search to the client's sessions.
        sessions = Session.search([
                ('id', '=', session_id),
                ('client', '=', user.party.id),
                ], limit=1)
    if not sessions:
        raise error(NotFoundError, 'msg_session_not_found')
    return Session(sessions[0].id)


def client_requests(pool, user, request_id=None):
    "Return the client's support requests, newest first"
    Message = pool.get('ev.message')
    domain = [
        ('web_user', '=', user.id),
        ('kind', '=', 'support'),
        ]
    if request_id is not None:
        domain.append(('id', '=', request_id))
    return Message.search(domain,
        order=[('create_date', 'DESC'), ('id', 'DESC')])


def client_request(pool, user, request_id):
    "Return the client's support request, or raise a 404"
    requests = client_requests(pool, user, request_id)
    if not requests:
        raise error(NotFoundError, 'msg_support_not_found')
    return requests[0]


def request_state(message, chats):
    if message.state == 'resolved':
        return 'resolved'
    if chats and chats[-1].user is not None:
        return 'answered'
    return 'open'


def session_id(message):
    resource = message.resource
    if resource is not None and resource.__name__ == 'ev.session':
        return resource.id
    return None


def request_dict(message, chats):
    return {
        'id': message.id,
        'subject': message.subject,
        'state': request_state(message, chats),
        'session': session_id(message),
        'created_at': message.create_date,
        'updated_at': max([message.create_date]
            + [c.create_date for c in chats]),
        'unread': message.support_unread(chats),
        }


def message_dict(user, chat):
    if chat.user is not None:
        author, name = 'support', chat.user.name or chat.user.login
    else:
        author, name = 'client', user.party.name
    return {
        'id': chat.id,
        'author': author,
        'name': name,
        'text': chat.content,
        'at': chat.create_date,
        }


def thread_dict(user, message, chats):
    result = request_dict(message, chats)
    result['messages'] = [message_dict(user, c) for c in chats]
    return result


@api('support', ['GET', 'POST'], login=True)
def support(request, pool, user):
    """The client's support requests, newest first; POST writes a new one
    (a subject, the text, and a session of the client if they like)"""
    Message = pool.get('ev.message')
    if request.method == 'POST':
        data = read_json(request)
        subject = text(pool, data, 'subject', required=False)
        body = message_text(pool, data)
        session = client_session(pool, user, data)
        if not support_limiter.hit(user.id):
            raise error(TooManyRequestsError, 'msg_api_too_many_requests')
        message = Message.support_create(user, body, subject=subject,
            session=session)
        chats = Message.support_threads([message])[message.id]
        message.support_mark_read(chats)
        return json_response(thread_dict(user, Message(message.id), chats),
            HTTPStatus.CREATED)
    messages = client_requests(pool, user)
    threads = Message.support_threads(messages)
    return json_response({
            'requests': [request_dict(m, threads[m.id]) for m in messages],
            })


@api('support/<int:request_id>', login=True, readonly=False)
def support_request(request, pool, user, request_id):
    "The request with its conversation, oldest first; it is read now"
    Message = pool.get('ev.message')
    message = client_request(pool, user, request_id)
    chats = Message.support_threads([message])[message.id]
    message.support_mark_read(chats)
    return json_response(thread_dict(user, Message(message.id), chats))


@api('support/<int:request_id>/messages', ['POST'], login=True)
def support_write(request, pool, user, request_id):
    "Write to support in the conversation of the request"
    Message = pool.get('ev.message')
    message = client_request(pool, user, request_id)
    body = message_text(pool, read_json(request))
    if not support_message_limiter.hit(user.id):
        raise error(TooManyRequestsError, 'msg_api_too_many_requests')
    chat = message.support_write(body)
    message.support_mark_read(
        Message.support_threads([message])[message.id])
    return json_response(message_dict(user, chat), HTTPStatus.CREATED)
