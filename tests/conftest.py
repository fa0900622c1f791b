# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import pytest

from .harness import Platform


@pytest.fixture(scope='session')
def platform():
    "The demo platform, running for the whole test session"
    platform = Platform()
    try:
        platform.create()
        platform.start()
        yield platform
    finally:
        platform.destroy()
