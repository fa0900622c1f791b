# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Test helpers shared by the ev_* modules"
import os

import polib

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.tools import file_open
from trytond.transaction import Transaction


def export_translations(module, lang='ru'):
    """Return the module's po file for lang as Tryton's Export wizard makes it

    It imports the module's locale file, runs Tryton's own Set and Update
    translation steps, so that every label, selection, help, message and view
    string of the module gets a row, and exports the result.
    """
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    TranslationSet = pool.get('ir.translation.set', type='wizard')
    TranslationUpdate = pool.get('ir.translation.update', type='wizard')

    language, = Lang.search([('code', '=', lang)])
    language.translatable = True
    language.save()
    with file_open(os.path.join(module, 'locale', lang + '.po'), 'rb') as fp:
        Translation.translation_import(lang, module, [fp.name])

    session_id, _, _ = TranslationSet.create()
    translation_set = TranslationSet(session_id)
    translation_set.transition_set_()
    TranslationSet.delete(session_id)

    session_id, _, _ = TranslationUpdate.create()
    translation_update = TranslationUpdate(session_id)
    translation_update.start.language = language
    translation_update.do_update(
        {'res_model': 'ir.translation', 'pyson_domain': '[]'})
    TranslationUpdate.delete(session_id)

    return Translation.translation_export(lang, module)


def untranslated_strings(module, lang='ru'):
    """Return the source strings of module that lack a translation in lang

    An entry with an empty msgstr is a string a user would see in English.
    """
    content = export_translations(module, lang)
    po = polib.pofile(content.decode('utf-8'))
    return sorted(
        '%s | %s' % (entry.msgctxt, entry.msgid)
        for entry in po
        if not entry.msgstr or 'fuzzy' in entry.flags)


class TranslationTestMixin:
    "Check that the module ships a complete Russian translation"

    @with_transaction()
    def test_russian_translation_complete(self):
        "Every string of the module has a Russian translation"
        with Transaction().set_context(language='en'):
            missing = untranslated_strings(self.module, 'ru')
        self.assertEqual(missing, [],
            msg="Missing ru translations in %s:\n%s" % (
                self.module, '\n'.join(missing)))
