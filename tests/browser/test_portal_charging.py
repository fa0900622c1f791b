# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A driver's whole first charge in the client app, every part real: the
demo platform, the OCPP daemon, a simulated charger speaking OCPP 1.6J to
it, the card acquirer's sandbox and Chromium.

The driver registers, confirms the e-mail, logs in, finds the station on
the map and in the list, tops the balance up on the acquirer's page,
applies a promo code, starts the charger from the app, watches the live
screen, stops, finds the price and the receipt in the history, and switches
the language and the theme."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ..harness import Charger, Daemon
from .test_portal import app_url, register_and_log_in
from .test_sao import browser, open_page  # noqa: F401

# Сокольники, Moscow: two Type 2 connectors of 22 kW. No other test sends
# it remote commands (tests/ocpp counts those of the stations it uses).
STATION = 'VZ-MSK-004'
STATION_NAME = 'Сокольники'
NEAR = {'latitude': 55.7925, 'longitude': 37.6760}
TOPUP = Decimal('500')
# The demo's promo code: half price on the client's first session.
PROMO = 'WELCOME'


@pytest.fixture(scope='module')
def daemon(platform):
    "The OCPP daemon the simulated charger connects to"
    daemon = Daemon(platform, 'daemon-app')
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture
def charger(daemon):
    "The station's charger, booted and available, on the daemon"
    # 30 simulated seconds per second: a meter value every 2 s, at 22 kW.
    charger = Charger(daemon, STATION, connectors=2, power_w=22_000,
        speed=30)
    try:
        charger.boot()
        yield charger
    finally:
        charger.close()


@pytest.fixture
def page(browser, request):  # noqa: F811
    yield from open_page(browser, request,
        viewport={'width': 390, 'height': 844}, geolocation=NEAR,
        permissions=['geolocation'])


def amount(text):
    "Return the Decimal of a Russian formatted sum, as '1 234,50 ₽'"
    digits = re.sub(r'[^\d,.-]', '', text.replace('\u2212', '-'))
    return Decimal(digits.replace(',', '.'))


def test_first_charge(page, platform, smtp_server, charger, tile_server):
    app = app_url(platform)
    main = page.locator('main')
    register_and_log_in(page, platform, smtp_server, 'Иван Первый')

    # The map around the driver: the station's marker, from loopback tiles
    page.goto(app + '#/map')
    marker = page.locator('.leaflet-marker-icon[title^="%s"]' % STATION_NAME)
    expect(marker).to_be_visible(timeout=20_000)
    expect(page.locator('img.leaflet-tile-loaded').first).to_be_visible(
        timeout=20_000)
    assert tile_server.requests, "the map loads the configured tiles"
    marker.click()
    page.locator('.leaflet-popup').get_by_role('link').click()
    expect(main.get_by_role('heading', name=STATION_NAME)).to_be_visible(
        timeout=20_000)

    # The list, nearest first
    page.goto(app + '#/list')
    expect(main.locator('a[href^="#/station/"]').first).to_have_text(
        STATION_NAME, timeout=20_000)

    # Top up the balance on the acquirer's page, which closes by itself
    page.goto(app + '#/account')
    form = main.locator('#topup-form')
    form.get_by_label('Сумма').fill(str(TOPUP))
    with page.expect_popup() as opened:
        form.get_by_role('button', name='Пополнить').click()
    checkout = opened.value
    checkout.locator('#sandbox-card-number').fill('4242 4242 4242 4242')
    checkout.locator('#sandbox-card-expiry').fill('12/34')
    checkout.locator('#sandbox-card-cvc').fill('123')
    checkout.locator('#payment-submit').click()
    checkout.wait_for_event('close', timeout=30_000)
    balance = main.locator('#account-balance')
    expect(balance).to_contain_text('500', timeout=30_000)
    assert amount(balance.inner_text()) == TOPUP

    # The station, then the start screen with the promo code's discount
    page.goto(app + '#/list')
    main.locator('a[href^="#/station/"]').first.click()
    main.get_by_role('link', name='Зарядиться здесь').click()
    expect(main.locator('#quote-total')).to_be_visible(timeout=20_000)
    full = amount(main.locator('#quote-total').inner_text().split(':')[-1])
    expect(main.locator('#payment-method')).to_contain_text('баланс')
    main.get_by_label('Промокод').fill(PROMO)
    main.get_by_role('button', name='Применить').click()
    expect(main.locator('#promo-result')).to_contain_text(PROMO,
        timeout=20_000)
    expect(main.locator('#quote-discounts')).to_be_visible()
    discounted = amount(
        main.locator('#quote-total').inner_text().split(':')[-1])
    assert discounted < full, (discounted, full)

    # Start: the daemon sends the charger a remote start
    main.locator('#start-button').click()
    expect(main.locator('#live-state')).to_have_text('Идёт зарядка',
        timeout=30_000)
    start, = charger.received('RemoteStartTransaction')
    assert start['connectorId'] in (1, 2)

    # The live screen counts without a reload
    energy = main.locator('#live-energy')
    expect(energy).not_to_have_text(re.compile(r'^(—|0 кВт·ч)$'),
        timeout=20_000)
    first = amount(energy.inner_text())
    expect(energy).not_to_have_text(energy.inner_text(), timeout=20_000)
    assert amount(energy.inner_text()) > first
    expect(main.locator('#live-cost')).to_contain_text('₽')

    # Stop, confirmed
    main.locator('#stop-button').click()
    main.locator('#stop-confirm').click()
    expect(main.locator('#live-state')).to_have_text('Зарядка завершена.',
        timeout=30_000)
    assert charger.received('RemoteStopTransaction')

    # The history: the session with its price, and its receipt
    page.goto(app + '#/history')
    session = main.locator('#history-sessions li').first
    expect(session).to_contain_text(STATION_NAME, timeout=20_000)
    price = amount(session.locator('.history-item__amount').inner_text())
    assert price > 0
    with page.context.expect_page() as opened:
        session.locator('a.receipt-link').click()
    receipt = opened.value
    receipt.wait_for_load_state()
    assert amount(receipt.locator('#total').inner_text()) == price
    assert PROMO in receipt.content()
    receipt.close()

    # The balance pays for it: at once from what is available, in the books
    # at the month's invoice (the demo invoices monthly)
    page.goto(app + '#/account')
    available = main.locator('#account-available')
    expect(available).to_be_visible(timeout=20_000)
    assert amount(available.inner_text()) == TOPUP - price

    # English and the dark theme, kept in the profile
    page.locator('#lang-select').select_option('en')
    expect(page.locator('html')).to_have_attribute('lang', 'en')
    expect(main.get_by_text('Balance', exact=True)).to_be_visible()
    page.locator('#theme-toggle').click()
    expect(page.locator('html')).to_have_attribute('data-theme', 'dark')
    page.reload()
    expect(page.locator('html')).to_have_attribute('lang', 'en',
        timeout=20_000)
    expect(page.locator('html')).to_have_attribute('data-theme', 'dark')

    assert not page.errors, page.errors
    assert not page.external, page.external
