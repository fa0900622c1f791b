# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Refresh addons/<module>/locale/<lang>.po from the module's sources

    python tools/export_po.py ev_station [lang]

It activates the module in a throw-away SQLite database, runs Tryton's Set,
Update and Export translation steps and writes the po file: translations
already there are kept, new strings come with an empty msgstr to fill in,
and so are the module's overrides of other modules' Russian (upstream gaps
such as the party menu).
"""
import os
import sys

import polib

os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
os.environ.setdefault('DB_NAME', ':memory:')

from trytond.pool import Pool  # noqa: E402
from trytond.tests.test_tryton import (  # noqa: E402
    DB_NAME, USER, activate_module)
from trytond.transaction import Transaction  # noqa: E402


def main(module, lang='ru'):
    from trytond.modules.ev_partner.tests.tools import export_translations
    activate_module(module)
    with Transaction().start(DB_NAME, USER, context={'language': 'en'}):
        Pool(DB_NAME).init()
        content = export_translations(module, lang)
    module_dir = os.path.dirname(
        __import__('trytond.modules.' + module, fromlist=['x']).__file__)
    path = os.path.join(module_dir, 'locale', lang + '.po')
    po = polib.pofile(content.decode('utf-8'))
    # Overrides of other modules' translations (their msgctxt names the
    # record as module.fs_id) are not exported with this module: keep them.
    # A new module has no catalogue yet.
    for entry in (polib.pofile(path) if os.path.exists(path) else []):
        if '.' in entry.msgctxt.rsplit(':', 1)[-1]:
            po.append(entry)
    po.save(path)
    print(path)


if __name__ == '__main__':
    main(*sys.argv[1:])
