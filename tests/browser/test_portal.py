# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client app in a real browser against the demo platform: a driver
registers, confirms the e-mail from the link trytond sent, logs in, finds
the demo's stations in the list sorted by distance, opens one with its price
and route links, and switches the language and the theme"""
import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from ..smtp import body
from .test_sao import browser, open_page  # noqa: F401

# Red Square: the demo's stations are in Moscow and Saint Petersburg.
MOSCOW = {'latitude': 55.7539, 'longitude': 37.6208}


@pytest.fixture
def page(browser, request):  # noqa: F811
    yield from open_page(browser, request,
        viewport={'width': 390, 'height': 844}, geolocation=MOSCOW,
        permissions=['geolocation'])


def app_url(platform):
    return '%s/%s/ev/app/' % (platform.url, platform.database)


def register_and_log_in(page, platform, smtp_server, name):
    """Register a new driver in the app, confirm the e-mail from the link
    trytond sent, log in, and return the e-mail address"""
    app = app_url(platform)
    page.goto(app + '#/register')
    email = 'driver-%s@example.com' % uuid.uuid4().hex[:8]
    password = 'Zaryad-%s' % uuid.uuid4().hex[:10]
    page.get_by_label('Имя').fill(name)
    page.get_by_label('E-mail').fill(email)
    page.get_by_label('Пароль', exact=True).fill(password)
    page.get_by_role('button', name='Зарегистрироваться').click()
    expect(page.get_by_text('Проверьте почту')).to_be_visible(
        timeout=20_000)

    # Confirm from the e-mail's link
    message, = smtp_server.wait(email)
    links = re.findall(r'href="([^"]+)"', body(message))
    link, = [l for l in links if 'token' in l]
    page.goto(link.replace('&amp;', '&'))
    expect(page.get_by_text('Адрес e-mail подтверждён')).to_be_visible(
        timeout=20_000)

    # Log in
    page.goto(app + '#/login')
    page.get_by_label('E-mail').fill(email)
    page.get_by_label('Пароль', exact=True).fill(password)
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли.')).to_be_visible(timeout=20_000)
    return email


def test_register_confirm_login_find_a_station(page, platform, smtp_server):
    app = app_url(platform)
    stations = requests.get(
        '%s/%s/ev/api/v1/stations' % (platform.url, platform.database),
        params={'lat': MOSCOW['latitude'], 'lon': MOSCOW['longitude']},
        timeout=30).json()['stations']
    assert stations, "the demo has stations"
    nearest = stations[0]
    register_and_log_in(page, platform, smtp_server, 'Мария Водитель')

    # The list, nearest first
    page.goto(app + '#/list')
    names = page.locator('main a[href^="#/station/"]')
    expect(names.first).to_have_text(nearest['name'], timeout=20_000)

    # The station: its partner, price and routes to its coordinates
    names.first.click()
    main = page.locator('main')
    expect(main.get_by_role('heading', name=nearest['name'])).to_be_visible(
        timeout=20_000)
    expect(main.get_by_text(nearest['partner'])).to_be_visible()
    expect(main.get_by_text('Войдите, чтобы увидеть цену')).to_have_count(0)
    # The client's price: the tariff and its lines, in roubles.
    price = main.locator('section[aria-labelledby="price-title"]')
    expect(price.locator('ul.price-lines li').first).to_contain_text('₽')
    routes = main.locator('a[data-route]')
    expect(routes.first).to_be_visible()
    hrefs = [routes.nth(i).get_attribute('href')
        for i in range(routes.count())]
    latitude = str(nearest['latitude'])
    assert any(h.startswith('geo:' + latitude) for h in hrefs), hrefs
    assert any('yandex' in h for h in hrefs), hrefs

    # English, then the dark theme, kept in the profile
    page.locator('#lang-select').select_option('en')
    expect(page.locator('html')).to_have_attribute('lang', 'en')
    expect(main.get_by_text('Route')).to_be_visible()
    page.locator('#theme-toggle').click()
    expect(page.locator('html')).to_have_attribute('data-theme', 'dark')
    page.reload()
    expect(page.locator('html')).to_have_attribute('lang', 'en',
        timeout=20_000)
    expect(page.locator('html')).to_have_attribute('data-theme', 'dark')
    assert not page.errors, page.errors


def test_demo_client_logs_in(platform):
    """The client app's logins the demo writes in demo-logins.txt work, and
    show the client's own balance"""
    api = '%s/%s/ev/api/v1/' % (platform.url, platform.database)
    emails = [login for login in platform.logins if '@' in login]
    assert len(emails) == 2
    for email in emails:
        http = requests.Session()
        http.get(api + 'config', timeout=30).raise_for_status()
        response = http.post(api + 'auth/login', json={
                'email': email, 'password': platform.logins[email]},
            headers={'X-CSRF-Token': http.cookies['ev_csrf']}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()['profile']['email'] == email
        account = http.get(api + 'account', timeout=30)
        assert account.status_code == 200, account.text
        assert 'balance' in account.json()


def test_demo_client_history_and_receipt(page, platform):
    """A demo client logs in, sees the balance of the books, the history of
    invoiced sessions and opens a receipt"""
    app = app_url(platform)
    email, = [l for l in sorted(platform.logins) if l.startswith('a.')]
    page.goto(app + '#/login')
    page.get_by_label('E-mail').fill(email)
    page.get_by_label('Пароль', exact=True).fill(platform.logins[email])
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли.')).to_be_visible(timeout=20_000)

    # The balance as the books hold it
    finance = platform.login('finance')
    party, = finance.model('party.party', 'search',
        [('contact_mechanisms.value', '=', email)])
    balance, = finance.model('party.party', 'read', [party], ['ev_balance'])
    amount = balance['ev_balance']
    amount = amount['decimal'] if isinstance(amount, dict) else str(amount)
    page.goto(app + '#/account')
    main = page.locator('main')
    expect(main.get_by_text('Баланс', exact=True)).to_be_visible(
        timeout=20_000)
    digits = re.sub(r'\D', '', amount.split('.')[0])
    shown = re.sub(r'\D', '', main.inner_text())
    assert digits in shown, (amount, main.inner_text())

    # The history with a receipt of an invoiced session
    page.goto(app + '#/history')
    receipts = main.locator('a.receipt-link')
    expect(receipts.first).to_be_visible(timeout=20_000)
    number = receipts.first.inner_text().split()[-1]
    with page.context.expect_page() as opened:
        receipts.first.click()
    receipt = opened.value
    receipt.wait_for_load_state()
    assert number in receipt.content()
    receipt.close()
    assert not page.errors, page.errors
