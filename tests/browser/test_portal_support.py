# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A support exchange from the client app to the operator and back, every
part real: the demo platform, Chromium and the SMTP server

A demo client writes to support about a session of the history, the
operator replies in the request's chat (as sao's chat panel does, over
RPC), and the client reads the reply in the app and in the e-mail that
reaches the SMTP server. An internal note of the operator reaches neither."""
import re

import pytest
from playwright.sync_api import expect

from ..smtp import body
from .test_portal import app_url
from .test_sao import browser, open_page  # noqa: F401

SUBJECT = 'Зарядка прервалась'
TEXT = 'Зарядка остановилась через пять минут.\nПроверьте, пожалуйста.'
REPLY = 'Мы проверили станцию и вернули деньги на баланс.'
NOTE = 'Внутренняя заметка: коннектор 2 перезагружен.'


@pytest.fixture
def page(browser, request):  # noqa: F811
    yield from open_page(browser, request,
        viewport={'width': 390, 'height': 844})


def log_in(page, platform, email):
    page.goto(app_url(platform) + '#/login')
    page.get_by_label('E-mail').fill(email)
    page.get_by_label('Пароль', exact=True).fill(platform.logins[email])
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли.')).to_be_visible(timeout=20_000)


def test_support_exchange(page, platform, smtp_server):
    app = app_url(platform)
    main = page.locator('main')
    email, = [l for l in sorted(platform.logins) if l.startswith('a.')]
    # What other tests had sent the demo client before.
    before = len(smtp_server.messages(email))
    log_in(page, platform, email)

    # From a session of the history, the form with the session chosen
    page.goto(app + '#/history')
    link = main.locator('#history-sessions a.support-link').first
    expect(link).to_be_visible(timeout=20_000)
    session = int(re.search(r'session=(\d+)', link.get_attribute('href'))
        .group(1))
    link.click()
    form = main.locator('#support-form')
    expect(form).to_be_visible(timeout=20_000)
    expect(form.get_by_label('Сессия')).to_have_value(str(session))
    form.get_by_label('Тема').fill(SUBJECT)
    form.get_by_label('Сообщение').fill(TEXT)
    form.get_by_role('button', name='Отправить').click()
    expect(main.get_by_role('heading', name=SUBJECT)).to_be_visible(
        timeout=20_000)
    request_id = int(re.search(r'#/support/(\d+)$', page.url).group(1))

    # The operator's inbox has it, about the session
    operator = platform.login('operator')
    message, = operator.model('ev.message', 'read', [request_id],
        ['kind', 'state', 'resource', 'subject'])
    assert message['kind'] == 'support'
    assert message['state'] == 'new'
    assert message['resource'] == 'ev.session,%s' % session
    assert message['subject'] == SUBJECT

    # An internal note, then a public reply, in the request's chat
    resource = 'ev.message,%s' % request_id
    operator.model('ir.chat.channel', 'post', resource, NOTE, 'internal')
    operator.model('ir.chat.channel', 'post', resource, REPLY, 'public')

    # The e-mail reaches the client, with the link to the conversation
    msg = smtp_server.wait(email, count=before + 1)[-1]
    assert SUBJECT in msg['Subject'], msg['Subject']
    content = body(msg)
    assert REPLY in content, content
    assert '/ev/app/#/support/%s' % request_id in content, content
    assert NOTE not in content

    # The app shows the reply, not the note
    page.reload()
    thread = main.locator('#support-thread')
    expect(thread.locator('.support-msg--support')).to_contain_text(
        REPLY, timeout=20_000)
    expect(thread.locator('.support-msg--client')).to_contain_text(
        'Зарядка остановилась')
    expect(thread).not_to_contain_text(NOTE)
    expect(main).not_to_contain_text('null')

    # The list, and the notification bell
    page.goto(app + '#/support')
    expect(main.locator('#support-list')).to_contain_text(SUBJECT,
        timeout=20_000)
    page.goto(app + '#/notifications')
    # (The demo's own support request of this client has its reply too.)
    reply = main.locator('.notification[data-kind="support_reply"]'
        ':has(a[href="#/support/%s"])' % request_id)
    expect(reply).to_contain_text(REPLY[:20], timeout=20_000)
    assert not page.errors, page.errors
    assert not page.external, page.external
    # Nothing else was sent to the client: no chat e-mail of Tryton's own.
    assert len(smtp_server.messages(email)) == before + 1
