# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The websocket endpoint: ws(s)://host:port/<identity>, OCPP 1.6J and 2.0.1

The handshake is where a charger authenticates (OCPP security profile 1:
HTTP Basic with the station's password; profile 2 adds TLS), and where its
OCPP version is chosen.
"""
import asyncio
import base64
import binascii
import http
import json
import logging
import urllib.parse

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from . import metrics
from .backend.client import BackendRejected, BackendUnavailable
from .config import SUBPROTOCOLS
from .protocol import mapping
from .protocol.v16 import CentralSystem16
from .protocol.v201 import CentralSystem201

logger = logging.getLogger(__name__)

PROTOCOLS = {
    'ocpp1.6': CentralSystem16,
    'ocpp2.0.1': CentralSystem201,
    }


def identity_of(path):
    "Return the charge point identity: the last segment of the URL path"
    path = urllib.parse.urlsplit(path).path
    return urllib.parse.unquote(path.rstrip('/').rsplit('/', 1)[-1])


def credentials(headers):
    "Return the (user, password) of a Basic Authorization header, or None"
    value = headers.get('Authorization', '')
    scheme, _, token = value.partition(' ')
    if scheme.lower() != 'basic':
        return None
    try:
        user, _, password = base64.b64decode(
            token, validate=True).decode('utf-8').partition(':')
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def offered(headers):
    protocols = []
    for value in headers.get_all('Sec-WebSocket-Protocol'):
        protocols.extend(p.strip() for p in value.split(',') if p.strip())
    return protocols


def respond(status, text, content_type='text/plain; charset=utf-8',
        **headers):
    body = text.encode()
    all_headers = Headers(headers)
    all_headers['Content-Type'] = content_type
    all_headers['Content-Length'] = str(len(body))
    all_headers['Connection'] = 'close'
    return Response(status.value, status.phrase, all_headers, body)


class Endpoint:
    "Serves the chargers of the app"

    def __init__(self, app):
        self.app = app
        self.config = app.config
        # identity → the task telling Tryton its last connection closed
        self.disconnecting = {}

    def select_subprotocol(self, connection, subprotocols):
        for protocol in SUBPROTOCOLS:
            if protocol in subprotocols:
                return protocol
        return None

    async def process_request(self, connection, request):
        if request.path == '/healthz':
            # JSON says so: probes and monitoring parse it by its type.
            return respond(http.HTTPStatus.OK, json.dumps(
                    self.app.health()), content_type='application/json')
        identity = identity_of(request.path)
        if not identity:
            return respond(http.HTTPStatus.NOT_FOUND, 'no identity\n')
        protocols = offered(request.headers)
        if protocols and not set(protocols) & set(SUBPROTOCOLS):
            metrics.REFUSED.labels('subprotocol').inc()
            return respond(http.HTTPStatus.BAD_REQUEST,
                'supported subprotocols: %s\n' % ', '.join(SUBPROTOCOLS))
        version = self.select_subprotocol(connection, protocols) or (
            self.config.default_subprotocol)
        user, password = credentials(request.headers) or (None, None)
        if user is not None and user != identity:
            # Security profile 1: the user name is the identity.
            metrics.REFUSED.labels('credentials').inc()
            return self._unauthorized()
        remote = connection.remote_address[0] if (
            connection.remote_address) else None
        leaving = self.disconnecting.get(identity)
        if leaving is not None:
            # A charger that reconnects at once: the disconnection of its
            # old socket, told Tryton after this connection, would take the
            # station from this daemon (its commands then never reach it).
            await asyncio.wait([leaving], timeout=self.config.backend_timeout)
        try:
            # As a dict: trytond logs positional arguments at INFO, except
            # the values of keys named like 'password'.
            result = await self.app.backend.call('connect', identity,
                {'password': password}, self.config.daemon,
                version[len('ocpp'):], remote)
        except BackendUnavailable:
            metrics.REFUSED.labels('backend').inc()
            return respond(http.HTTPStatus.SERVICE_UNAVAILABLE,
                'try again later\n', **{'Retry-After': '30'})
        except BackendRejected as exception:
            logger.error('connect refused by Tryton: %s', exception.error,
                extra={'cp_id': identity})
            return respond(http.HTTPStatus.FORBIDDEN, 'refused\n')
        if not result.get('accepted'):
            reason = result.get('reason') or 'refused'
            metrics.REFUSED.labels(reason).inc()
            logger.info('refused: %s', reason, extra={'cp_id': identity})
            if reason in {'password', 'credentials'}:
                return self._unauthorized()
            return respond(http.HTTPStatus.FORBIDDEN, 'refused\n')
        connection.ev_identity = identity
        connection.ev_version = version
        return None

    def _unauthorized(self):
        return respond(http.HTTPStatus.UNAUTHORIZED, 'unauthorized\n', **{
                'WWW-Authenticate': 'Basic realm="OCPP", charset="UTF-8"'})

    async def handler(self, connection):
        identity = connection.ev_identity
        version = connection.ev_version
        cp = PROTOCOLS[version](identity, connection,
            response_timeout=self.config.command_timeout)
        cp.setup(self.app)
        previous = self.app.registry.add(identity, cp)
        if previous is not None:
            # A charger that reconnects before its old socket timed out:
            # the new connection wins (OCPP-J 1.6 §3.2).
            await previous._connection.close(1000, 'replaced')
        metrics.CONNECTED.set(len(self.app.registry))
        logger.info('connected', extra={
                'cp_id': identity, 'ocpp_version': cp.version})
        try:
            await cp.start()
        except ConnectionClosed:
            pass
        finally:
            await cp.close_tasks()
            if self.app.registry.remove(identity, cp):
                metrics.CONNECTED.set(len(self.app.registry))
                logger.info('disconnected', extra={'cp_id': identity})
                task = self.app.spawn(self.app.disconnected(
                        identity, mapping.now()))
                self.disconnecting[identity] = task
                task.add_done_callback(
                    lambda task: self._disconnected(identity, task))

    def _disconnected(self, identity, task):
        if self.disconnecting.get(identity) is task:
            del self.disconnecting[identity]
