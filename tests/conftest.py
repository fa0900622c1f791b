# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import pytest

from .harness import Platform
from .smtp import SMTPServer

EMAIL_FROM = 'noreply@ev-platform.example'


@pytest.fixture(scope='session')
def smtp_server():
    "The SMTP server that receives every e-mail trytond sends"
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='session')
def platform(smtp_server):
    "The demo platform, running for the whole test session"
    platform = Platform(config=(
            '[email]\nuri = %s\nfrom = %s\n' % (
                smtp_server.uri, EMAIL_FROM)))
    try:
        platform.create()
        platform.start()
        yield platform
    finally:
        platform.destroy()
