# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Test helpers shared by the ev_* modules"
from lxml import etree

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction


def load_translations(module, lang='ru'):
    """Load the translations of lang and return what the module lacks

    It loads the translations and runs Tryton's Set translation step, so
    that every label, selection, help, message, menu and view string of the
    module has an English row. It returns the English rows without a
    non-empty translation in lang, sorted.
    """
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    TranslationSet = pool.get('ir.translation.set', type='wizard')

    language, = Lang.search([('code', '=', lang)])
    language.translatable = True
    language.save()
    # All modules, not only this one: its po file may override theirs.
    Lang.load_translations([language])

    session_id, _, _ = TranslationSet.create()
    translation_set = TranslationSet(session_id)
    translation_set.transition_set_()
    TranslationSet.delete(session_id)

    # Compare rows directly rather than through the Update wizard: on
    # SQLite it leaves some rows without their source text, and an export
    # of those would hide strings that lack a translation.
    def key(t):
        return (t.type, t.name, t.res_id, t.src)
    translated = {
        key(t) for t in Translation.search([
                ('lang', '=', lang), ('module', '=', module)])
        if t.value and not t.fuzzy}
    return sorted(
        (t for t in Translation.search([
                    ('lang', '=', 'en'), ('module', '=', module)])
            if t.src and key(t) not in translated),
        key=key)


def export_translations(module, lang='ru'):
    """Return the module's po file for lang, as Tryton's Export makes it,
    with an empty msgstr for every string that lacks a translation"""
    pool = Pool()
    Translation = pool.get('ir.translation')
    missing = load_translations(module, lang)
    Translation.create([{
                'lang': lang, 'module': module, 'type': t.type,
                'name': t.name, 'res_id': t.res_id, 'src': t.src,
                'src_plural': t.src_plural, 'value': '',
                } for t in missing])
    return Translation.translation_export(lang, module)


def untranslated_strings(module, lang='ru'):
    "Return the source strings of module that lack a translation in lang"
    return ['%s:%s | %s' % (t.type, t.name, t.src)
        for t in load_translations(module, lang)]


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


class ListViewTestMixin:
    "Check the list views of the module against what sao can display"

    @with_transaction()
    def test_list_view_datetime_widgets(self):
        "Date-time fields in lists use the date or time widget"
        # sao has no column for a date-time: it shows one as a date and a
        # time column, and a list with a bare date-time never loads.
        pool = Pool()
        View = pool.get('ir.ui.view')
        for view in View.search([
                    ('module', '=', self.module), ('type', '=', 'tree')]):
            Model = pool.get(view.model)
            tree = etree.fromstring(view.arch)
            for element in tree.iter('field'):
                field = Model._fields.get(element.get('name'))
                if field is None or field._type not in {
                        'datetime', 'timestamp'}:
                    continue
                with self.subTest(view=view.name, field=field.name):
                    self.assertIn(element.get('widget'), {'date', 'time'})
