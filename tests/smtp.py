# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A local SMTP server that keeps what trytond sends, for the cross-process
tests: `[email] uri = smtp://127.0.0.1:<port>` points trytond to it"""
import email
import email.policy
import threading
import time
from email.utils import getaddresses

from aiosmtpd.controller import Controller

from .harness import free_port


class Mailbox:
    "The aiosmtpd handler: it stores every message it accepts"

    def __init__(self):
        self.messages = []
        self.condition = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(
            envelope.content, policy=email.policy.default)
        with self.condition:
            self.messages.append((list(envelope.rcpt_tos), msg))
            self.condition.notify_all()
        return '250 Message accepted for delivery'


class SMTPServer:
    "An SMTP server on a free loopback port, run in a thread"

    def __init__(self):
        self.port = free_port()
        self.uri = 'smtp://127.0.0.1:%s' % self.port
        self.mailbox = Mailbox()
        self.controller = Controller(
            self.mailbox, hostname='127.0.0.1', port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def messages(self, to=None):
        "Return the messages received so far, for the address to"
        with self.mailbox.condition:
            return [msg for rcpts, msg in self.mailbox.messages
                if to is None or to in rcpts]

    def wait(self, to, count=1, timeout=30):
        """Return the first count messages sent to the address, waiting for
        them at most timeout seconds"""
        deadline = time.monotonic() + timeout
        with self.mailbox.condition:
            while True:
                messages = [msg for rcpts, msg in self.mailbox.messages
                    if to in rcpts]
                if len(messages) >= count:
                    return messages[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        '%s message(s) to %s expected, %s received: %s' % (
                            count, to, len(messages),
                            [m['Subject'] for m in messages]))
                self.mailbox.condition.wait(remaining)


def recipients(msg):
    "Return the addresses of the To header"
    return [address for _, address in getaddresses(msg.get_all('To', []))]


def body(msg):
    "Return the text of the HTML (or plain) body"
    return msg.get_body(('html', 'plain')).get_content()
