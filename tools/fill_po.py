# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Fill the empty msgstr of a po file from JSON files {"English": "Русский"}

    python tools/fill_po.py addons/ev_station/locale/ru.po var/ru/*.json

It prints the strings still without a translation."""
import json
import sys

import polib


def main(po_path, *json_paths):
    known = {}
    for path in json_paths:
        with open(path) as fp:
            known.update(json.load(fp))
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        if entry.msgstr:
            continue
        if entry.msgid in known:
            entry.msgstr = known[entry.msgid]
            if 'fuzzy' in entry.flags:
                entry.flags.remove('fuzzy')
        else:
            missing.append((entry.msgctxt, entry.msgid))
    po.save(po_path)
    for context, msgid in missing:
        print('%s | %s' % (context, msgid))
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
