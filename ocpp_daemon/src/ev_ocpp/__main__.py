# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Run the OCPP daemon: ev-ocpp [--config FILE]"
import argparse
import asyncio
import logging
import sys

from . import logs
from .app import App
from .config import Config, ConfigError

logger = logging.getLogger('ev_ocpp')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-c', '--config', help="INI file with an [ocpp] "
        "section; EV_OCPP_* variables override it")
    args = parser.parse_args(argv)
    try:
        config = Config.load(args.config)
    except (ConfigError, OSError, TypeError) as exception:
        print('ev-ocpp: %s' % exception, file=sys.stderr)
        return 2
    logs.setup(config.log_level)
    asyncio.run(App(config).run())
    return 0


if __name__ == '__main__':
    sys.exit(main())
