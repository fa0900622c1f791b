# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The pages a cardholder sees: the 3-D Secure challenge and Stripe.js."""
import html
import json
import os

from . import cards

HERE = os.path.dirname(__file__)
TEXTS = {
    'en': {
        'title': "3-D Secure test authentication",
        'intro': ("Sandbox card issuer: this page stands for the bank's "
            "3-D Secure check. No real card is involved."),
        'payment': "Payment of %(amount)s %(currency)s",
        'setup': "Saving the card for later payments",
        'card': "Card ending in %(last4)s",
        'complete': "Complete",
        'fail': "Fail",
        'done': "Authentication finished: %(status)s. You may close this "
        "page.",
        },
    'ru': {
        'title': "Тестовая проверка 3-D Secure",
        'intro': ("Тестовый банк-эмитент: эта страница заменяет проверку "
            "3-D Secure банка. Настоящая карта не используется."),
        'payment': "Платёж на сумму %(amount)s %(currency)s",
        'setup': "Сохранение карты для будущих платежей",
        'card': "Карта, оканчивающаяся на %(last4)s",
        'complete': "Подтвердить",
        'fail': "Отклонить",
        'done': "Проверка завершена: %(status)s. Страницу можно закрыть.",
        },
    }
# Currencies without minor units (Stripe's zero-decimal list, the ones
# likely here)
ZERO_DECIMAL = {'jpy', 'krw', 'vnd', 'clp', 'xof', 'xaf', 'ugx'}


def language(request):
    lang = request.values.get('lang')
    if not lang:
        lang = request.accept_languages.best_match(['en', 'ru'], 'en')
    return 'ru' if lang and lang.lower().startswith('ru') else 'en'


def amount(intent):
    value = intent['amount']
    if intent['currency'] in ZERO_DECIMAL:
        return str(value)
    return '%d.%02d' % divmod(value, 100)


def three_d_secure(intent, lang, last4=None):
    texts = TEXTS[lang]
    if intent['object'] == 'payment_intent':
        what = texts['payment'] % {
            'amount': amount(intent),
            'currency': intent['currency'].upper()}
    else:
        what = texts['setup']
    last4 = texts['card'] % {'last4': last4} if last4 else ''
    secret = html.escape(intent['client_secret'])
    return """<!DOCTYPE html>
<html lang="%(lang)s"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>%(title)s</title>
<style>
body{font-family:sans-serif;max-width:30em;margin:3em auto;padding:0 1em}
.box{border:1px solid #ccc;border-radius:8px;padding:1.5em}
button{font-size:1.1em;padding:.5em 1.5em;margin:.5em .5em 0 0;
border-radius:4px;border:1px solid #2e6da4;cursor:pointer}
#complete{background:#337ab7;color:#fff}
#fail{background:#fff;color:#a33;border-color:#a33}
small{color:#666}
</style></head>
<body><div class="box">
<h1>%(title)s</h1>
<p><small>%(intro)s</small></p>
<p><strong>%(what)s</strong></p>
<p>%(last4)s</p>
<form method="post">
<input type="hidden" name="client_secret" value="%(secret)s"/>
<input type="hidden" name="lang" value="%(lang)s"/>
<button id="complete" type="submit" name="action" value="complete">%(complete)s</button>
<button id="fail" type="submit" name="action" value="fail">%(fail)s</button>
</form></div></body></html>
""" % {  # noqa: E501
        'lang': lang,
        'title': html.escape(texts['title']),
        'intro': html.escape(texts['intro']),
        'what': html.escape(what),
        'last4': html.escape(last4),
        'secret': secret,
        'complete': html.escape(texts['complete']),
        'fail': html.escape(texts['fail']),
        }


def done(intent, lang):
    texts = TEXTS[lang]
    return ('<!DOCTYPE html><html lang="%s"><head><meta charset="utf-8"/>'
        '<title>%s</title></head><body><p id="status" data-status="%s">%s'
        '</p></body></html>') % (lang, html.escape(texts['title']),
        html.escape(intent['status']),
        html.escape(texts['done'] % {'status': intent['status']}))


def javascript(base_url):
    with open(os.path.join(HERE, 'static', 'v3.js'), encoding='utf-8') as f:
        source = f.read()
    return (source
        .replace('__SANDBOX_URL__', json.dumps(base_url))
        .replace('__QUICK_PICKS__', json.dumps(cards.QUICK_PICKS)))
