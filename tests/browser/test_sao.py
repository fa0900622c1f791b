# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The back office in a real browser: Chromium drives sao as an operator
would, on the demo platform"""
import os
import re
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from ..harness import ROOT

CHROMIUM = os.environ.get('CHROMIUM') or shutil.which('chromium')
ARTIFACTS = os.path.join(ROOT, 'var', 'test-artifacts')
# Without the networking flags Chromium keeps calling Google's services,
# which this closed network refuses.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync']
# Tests reach nothing beyond this machine: any other host is refused and
# recorded, so a test can say the app needed no third party.
EXTERNAL = re.compile(r'^(https?|wss?)://(?!(127\.0\.0\.1|localhost)[:/])')


@pytest.fixture(scope='module')
def browser():
    assert CHROMIUM, "Chromium is needed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, request, **options):
    """Yield a page of a new Russian browser context with options, which
    records the page's script errors in page.errors, the requests to other
    hosts than this one (refused) in page.external, and leaves a screenshot
    of the test's end in ARTIFACTS"""
    options = dict({
            'viewport': {'width': 1400, 'height': 900},
            'locale': 'ru-RU',
            }, **options)
    context = browser.new_context(**options)
    page = context.new_page()
    page.errors = []
    page.on('pageerror', lambda error: page.errors.append(str(error)))
    page.external = []

    def refuse(route):
        page.external.append(route.request.url)
        route.abort()
    context.route(EXTERNAL, refuse)
    yield page
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(
        path=os.path.join(ARTIFACTS, request.node.name + '.png'))
    context.close()


@pytest.fixture
def page(browser, request):
    yield from open_page(browser, request)


def login(page, platform, login):
    # The server lists every database of the cluster; a shared PostgreSQL
    # may hold others (a run that was killed leaves its database behind).
    # The URL's fragment names the one to choose, and the login field is
    # editable before the list arrives: wait until sao shows it chosen.
    page.goto(platform.url + '/#' + platform.database)
    user = page.locator('input#login')
    expect(user).to_be_editable(timeout=30_000)
    expect(page.locator('#database:visible')).to_have_value(
        platform.database, timeout=30_000)
    user.fill(login)
    password = page.locator('input[type=password]')
    # sao may still be wiring the dialog when the page looks ready: a
    # press that came too early is answered by pressing again.
    for attempt in range(3):
        page.get_by_role('button', name='Login').click()
        try:
            expect(password).to_be_editable(timeout=10_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    password.fill(platform.logins[login])
    password.press('Enter')


def open_station(page, identity):
    "Open the stations from the EV menu, then the form of identity"
    root = page.get_by_text('Электрозарядная сеть', exact=True)
    expect(root).to_be_visible(timeout=20_000)
    root.dblclick()
    page.get_by_text('Зарядные станции', exact=True).first.dblclick()
    row = page.get_by_text(identity, exact=True)
    expect(row).to_be_visible(timeout=20_000)
    return row


def test_operator_runs_network_in_russian(platform, page):
    "The operator logs in, opens the stations in Russian, sees connectors"
    login(page, platform, 'operator')
    # The list shows the demo stations with their identities.
    row = open_station(page, 'VZ-MSK-001')
    expect(page.get_by_text('NE-SPB-001', exact=True)).to_be_visible()

    row.dblclick()
    form = page.locator('.form')
    expect(form.get_by_text('Идентификатор OCPP')).to_be_visible(
        timeout=20_000)
    expect(form.get_by_text('Партнёр-владелец')).to_be_visible()
    connectors = form.locator('table tbody tr:has-text("Свободен")')
    expect(connectors).to_have_count(3)
    for type_ in ['CCS Combo 2', 'CHAdeMO', 'Type 2']:
        expect(form.get_by_text(type_, exact=True)).to_be_visible()
    assert page.errors == []


def test_partner_technician_sees_reset_not_disconnect(platform, page):
    "Buttons follow the roles: a technician may reset, not disconnect"
    login(page, platform, 'nevaenergy')
    open_station(page, 'NE-SPB-002').dblclick()
    form = page.locator('.form')
    expect(form.get_by_role('button', name='Перезагрузить')).to_be_enabled(
        timeout=20_000)
    expect(form.get_by_role('button', name='Отключить')).to_be_disabled()
    assert page.errors == []


def test_partner_staff_sees_own_network_only(platform, page):
    "A partner's accountant sees its stations and none of the others'"
    login(page, platform, 'voltzaryad-buh')
    open_station(page, 'VZ-MSK-001')
    # All of them, online or not: other tests connect and leave chargers.
    page.locator('.nav-tabs a', has_text='Все').click()
    for identity in ['VZ-MSK-002', 'VZ-MSK-003', 'VZ-MSK-004']:
        expect(page.get_by_text(identity, exact=True)).to_be_visible()
    for identity in ['NE-SPB-001', 'ED-MSK-001']:
        expect(page.get_by_text(identity, exact=True)).to_have_count(0)

    # The figures: the stations per partner show the own partner only.
    page.get_by_text('Статистика', exact=True).first.dblclick()
    page.get_by_text('Станции по партнёрам', exact=True).first.dblclick()
    expect(page.get_by_text('ООО «ВольтЗаряд»', exact=True).first
        ).to_be_visible(timeout=20_000)
    for partner in ['АО «Невская энергия»',
            'ИП Орлов Дмитрий Сергеевич «ЭкоДрайв»']:
        expect(page.get_by_text(partner, exact=True)).to_have_count(0)

    # The dashboard opens with the panels the role may read. The menu opens
    # its tab asynchronously: wait until the requests are over, then bring
    # the dashboard's tab to the front in case another one took it.
    page.wait_for_load_state('networkidle')
    page.get_by_text('Панель зарядной сети', exact=True).first.dblclick()
    page.wait_for_load_state('networkidle')
    page.locator('#tablist a').filter(has_text='Панель зарядной').last.click()
    expect(page.get_by_text('Сессии по месяцам', exact=True)).to_be_visible(
        timeout=20_000)
    expect(page.get_by_text('Станции по партнёрам', exact=True).last
        ).to_be_visible()
    page.wait_for_load_state('networkidle')
    assert page.errors == []


def test_operator_reads_promo_codes_and_plans(platform, page):
    """The operator opens the promo codes with their usage and the plans in
    Russian, without a client-side error"""
    login(page, platform, 'operator')
    root = page.get_by_text('Электрозарядная сеть', exact=True)
    expect(root).to_be_visible(timeout=20_000)
    root.dblclick()
    # "Тарифы" is both the folder and its first entry.
    page.get_by_text('Тарифы', exact=True).first.dblclick()
    page.get_by_text('Промокоды', exact=True).first.dblclick()
    row = page.get_by_text('Добро пожаловать', exact=True)
    expect(row).to_be_visible(timeout=20_000)
    expect(page.get_by_text('10 кВт·ч в подарок', exact=True)).to_be_visible()
    row.dblclick()
    form = page.locator('.form')
    expect(form.get_by_text('Первая сессия', exact=False).first
        ).to_be_visible(timeout=20_000)
    expect(form.get_by_text('Где и для кого', exact=True)).to_be_visible()

    page.get_by_text('Планы абонементов', exact=True).first.dblclick()
    expect(page.get_by_text('ВольтЗаряд 100', exact=True).first
        ).to_be_visible(timeout=20_000)
    # The products plans are sold as, in Russian too (an upstream gap).
    expect(page.get_by_text('Товары и услуги', exact=True).first
        ).to_be_visible()
    expect(page.get_by_text('Products', exact=True)).to_have_count(0)
    assert page.errors == []


def test_technician_takes_station_message(platform, page):
    """A partner's technician is told of the demo's silent station in sao's
    notifications, opens it in the message centre and takes it"""
    login(page, platform, 'nevaenergy')
    badge = page.locator('.notification-badge:visible').first
    expect(badge).to_have_text(re.compile(r'^[1-9]\d*$'), timeout=30_000)
    page.get_by_text('Электрозарядная сеть', exact=True).dblclick()
    page.get_by_text('Центр сообщений', exact=True).first.dblclick()
    title = 'Станция не в сети: Васильевский остров [NE-SPB-004]'
    row = page.get_by_text(title, exact=True)
    expect(row).to_be_visible(timeout=20_000)
    # Another network's fault is not in this technician's inbox.
    expect(page.get_by_text(re.compile('ED-MSK-001'))).to_have_count(0)
    row.dblclick()
    form = page.locator('.form')
    take = form.get_by_role('button', name='Взять себе')
    acknowledge = form.get_by_role('button', name='Принять')
    expect(take).to_be_visible(timeout=20_000)
    expect(acknowledge).to_be_visible()
    take.click()
    # Acknowledged: the button to acknowledge is gone.
    expect(acknowledge).to_be_hidden(timeout=20_000)

    technician = platform.login('nevaenergy')
    message, = technician.model('ev.message', 'search_read',
        [('title', '=', title)], 0, None, None,
        ['state', 'assignee', 'acknowledged_by'])
    me, = technician.model('res.user', 'search',
        [('login', '=', 'nevaenergy')], 0, None, None)
    assert message['state'] == 'acknowledged'
    assert message['assignee'] == me
    assert message['acknowledged_by'] == me
    assert page.errors == []
