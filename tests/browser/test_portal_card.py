# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A driver saves a bank card in the client app, every part real: the demo
platform, the card acquirer's sandbox and Chromium.

The driver registers, logs in, saves a card on the acquirer's page in a
window of its own (which closes by itself), sees the card in the account
and chooses to pay charging by it."""
import pytest
from playwright.sync_api import expect

from .test_portal import app_url, register_and_log_in
from .test_sao import browser, open_page  # noqa: F401


@pytest.fixture
def page(browser, request):  # noqa: F811
    yield from open_page(browser, request,
        viewport={'width': 390, 'height': 844})


def test_save_card(page, platform, smtp_server):
    app = app_url(platform)
    main = page.locator('main')
    register_and_log_in(page, platform, smtp_server, 'Ольга Картина')

    # No card yet: paying by card is refused
    page.goto(app + '#/account')
    status = main.locator('#card-status')
    expect(status).to_contain_text('сначала сохраните карту',
        timeout=20_000)
    form = main.locator('#method-form')
    form.get_by_label('Способ оплаты').select_option('card')
    form.get_by_role('button', name='Сохранить', exact=True).click()
    expect(page.locator('#alert')).to_be_visible(timeout=20_000)

    # The card, on the acquirer's page, which closes by itself
    with page.expect_popup() as opened:
        main.get_by_role('button', name='Сохранить карту').click()
    setup = opened.value
    setup.locator('#sandbox-card-number').fill('4242 4242 4242 4242')
    setup.locator('#sandbox-card-expiry').fill('12/34')
    setup.locator('#sandbox-card-cvc').fill('123')
    setup.locator('#payment-submit').click()
    setup.wait_for_event('close', timeout=30_000)

    # The app shows the card by itself, and charging may be paid by it
    expect(status).to_contain_text('Карта VISA •••• 4242 сохранена',
        timeout=30_000)
    expect(page.locator('#status')).to_contain_text('Карта сохранена',
        timeout=10_000)
    expect(main.get_by_role('button', name='Заменить карту')).to_be_visible()
    form.get_by_label('Способ оплаты').select_option('card')
    form.get_by_role('button', name='Сохранить', exact=True).click()
    expect(page.locator('#status')).to_contain_text(
        'Способ оплаты сохранён', timeout=20_000)

    # As the server has it
    page.reload()
    expect(form.get_by_label('Способ оплаты')).to_have_value('card',
        timeout=20_000)
    expect(status).to_contain_text('Карта VISA •••• 4242 сохранена')
