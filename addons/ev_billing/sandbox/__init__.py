# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A Stripe-compatible sandbox card acquirer (see doc/sandbox.rst).

It stands for the acquirer's servers, so it is a standalone HTTP service
with its own SQLite state and never touches the Tryton database.
"""
import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .acquirer import Acquirer
from .app import SandboxApp
from .store import Store
from .webhooks import Deliverer

__all__ = ['Sandbox', 'serve', 'build']
logger = logging.getLogger(__name__)


class RequestHandler(WSGIRequestHandler):
    "Access lines go to the logger, at debug level"

    def log_request(self, code='-', size='-'):
        logger.debug('%s "%s" %s', self.address_string(), self.requestline,
            code)


class Sandbox:
    "A running sandbox: url, app, store and stop()"

    def __init__(self, server, app, deliverer, url):
        self.server = server
        self.app = app
        self.store = app.store
        self.acquirer = app.acquirer
        self.deliverer = deliverer
        self.url = url
        self._thread = None

    def flush(self):
        "Run due changes and deliver every waiting webhook now"
        return self.deliverer.deliver(force=True)

    def serve_forever(self):
        self.deliverer.start()
        try:
            self.server.serve_forever()
        finally:
            self.deliverer.stop()

    def start(self):
        self.deliverer.start()
        self._thread = threading.Thread(target=self.server.serve_forever,
            name='sandbox-http', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.deliverer.stop()
        if self._thread:
            self._thread.join(timeout=10)
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def build(db=':memory:', public_url=None, retry_delays=(1, 2, 4),
        webhook_timeout=5, poll=0.2, async_delay=0.5):
    "The WSGI app and its webhook deliverer, not started"
    store = Store(db)
    acquirer = Acquirer(store, async_delay=async_delay)
    deliverer = Deliverer(store, acquirer, retry_delays=retry_delays,
        timeout=webhook_timeout, poll=poll)
    return SandboxApp(store, acquirer, deliverer, public_url), deliverer


def serve(listen='127.0.0.1:0', db=':memory:', public_url=None,
        retry_delays=(1, 2, 4), webhook_timeout=5, poll=0.2,
        async_delay=0.5, start=True):
    """Start the sandbox in threads and return the Sandbox.

    The defaults suit tests (fast retries); the command line uses Stripe's
    test-mode pace."""
    host, _, port = listen.rpartition(':')
    app, deliverer = build(db, public_url, retry_delays, webhook_timeout,
        poll, async_delay)
    server = make_server(host or '127.0.0.1', int(port), app, threaded=True,
        request_handler=RequestHandler)
    url = public_url or 'http://%s:%d' % (
        host or '127.0.0.1', server.server_port)
    sandbox = Sandbox(server, app, deliverer, url)
    if start:
        sandbox.start()
    return sandbox
