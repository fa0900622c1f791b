# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import pytest

from ..harness import Daemon


@pytest.fixture(scope='module')
def daemon(platform):
    "One OCPP daemon process, connected to the demo platform"
    daemon = Daemon(platform, 'daemon-1')
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope='module')
def operator(platform):
    "The demo's platform operator, logged in over RPC"
    return platform.login('operator')
