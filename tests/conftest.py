# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import pytest

from .harness import Platform
from .smtp import SMTPServer
from .tiles import TileServer

EMAIL_FROM = 'noreply@ev-platform.example'


@pytest.fixture(scope='session')
def smtp_server():
    "The SMTP server that receives every e-mail trytond sends"
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='session')
def card_acquirer():
    "The sandbox card acquirer the demo's card account pays through"
    from trytond.modules.ev_billing.sandbox import serve
    sandbox = serve()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope='session')
def tile_server():
    "The map tile server the client app's map loads its tiles from"
    server = TileServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='session')
def platform(smtp_server, card_acquirer, tile_server):
    "The demo platform, running for the whole test session"
    platform = Platform(config=(
            '[email]\nuri = %s\nfrom = %s\n' % (
                smtp_server.uri, EMAIL_FROM)
            + '[ev_billing]\nsandbox_url = %s\n' % card_acquirer.url
            + '[ev_portal_pwa]\ntile_url = %s\n' % tile_server.url))
    try:
        platform.create()
        platform.start()
        platform.register_webhook()
        yield platform
    finally:
        platform.destroy()
