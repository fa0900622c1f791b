# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Take the screenshots of the drivers' app, and of the operator's message
centre in sao, in docs/screenshots/: the demo platform (tests/harness.py)
with its OCPP daemon and a simulated charger, a demo client logged in,
phone and desktop sizes, with the system Chromium

    .venv/bin/python -m tests.screenshots

Not a test. The map's tiles come from a loopback tile server of one colour
(tests/tiles.py): the markers show on a blank ground."""
import os
import re
import shutil

import requests
from playwright.sync_api import sync_playwright

from .harness import ROOT, Charger, Daemon, Platform
from .tiles import TileServer

OUTPUT = os.path.join(ROOT, 'docs', 'screenshots')
SIZES = {'phone': (390, 844), 'desktop': (1280, 800)}
MOSCOW = {'latitude': 55.7539, 'longitude': 37.6208}
# Where the live screen's session runs: Сокольники, two Type 2 of 22 kW.
STATION = 'VZ-MSK-004'
SETTLE_MS = 2500


def main():
    tiles = TileServer()
    tiles.start()
    platform = Platform(
        config='[ev_portal_pwa]\ntile_url = %s\n' % tiles.url)
    daemon = charger = None
    try:
        platform.create()
        platform.start()
        daemon = Daemon(platform, 'daemon-screenshots')
        daemon.start()
        charger = Charger(daemon, STATION, connectors=2, power_w=22_000,
            speed=30)
        charger.boot()
        app = '%s/%s/ev/app/' % (platform.url, platform.database)
        station, = [s for s in requests.get(
                    '%s/%s/ev/api/v1/stations' % (
                        platform.url, platform.database),
                    timeout=30).json()['stations']
            if s['name'] == 'Сокольники']
        email = sorted(l for l in platform.logins if '@' in l)[0]
        os.makedirs(OUTPUT, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which('chromium'), headless=True)
            for size, (width, height) in SIZES.items():
                shoot(browser, app, platform, email, station, size,
                    width, height)
            shoot_sao(browser, platform)
            browser.close()
    finally:
        if charger:
            charger.close()
        if daemon:
            daemon.stop()
        platform.destroy()
        tiles.stop()


def shoot(browser, app, platform, email, station, size, width, height):
    context = browser.new_context(
        viewport={'width': width, 'height': height},
        locale='ru-RU', geolocation=MOSCOW, permissions=['geolocation'])
    page = context.new_page()

    def save(name):
        page.wait_for_timeout(SETTLE_MS)
        page.screenshot(path=os.path.join(
                OUTPUT, '%s-%s.png' % (name, size)))

    page.goto(app + '#/login')
    page.get_by_label('E-mail').fill(email)
    page.get_by_label('Пароль', exact=True).fill(platform.logins[email])
    page.get_by_role('button', name='Войти').click()
    page.get_by_text('Вы вошли.').wait_for()
    for screen in ['map', 'list', 'account', 'history', 'subscriptions',
            'notifications', 'profile', 'support']:
        page.goto(app + '#/' + screen)
        save(screen)
    # The demo's support request and the operator's answer
    page.get_by_text('Зарядка остановилась раньше времени').first.click()
    page.get_by_text('Автомобиль завершил зарядку сам').wait_for()
    save('support-thread')
    # The station with its price, then its usage charts
    page.goto(app + '#/station/%s' % station['id'])
    save('station')
    page.get_by_role('heading', name='Загруженность', exact=True) \
        .scroll_into_view_if_needed()
    save('station-usage')
    # Charging: the start screen with a promo code, then the live screen
    page.goto(app + '#/station/%s/charge' % station['id'])
    page.locator('#quote-total').wait_for()
    page.get_by_label('Промокод').fill('START200')
    page.get_by_role('button', name='Применить').click()
    page.locator('#promo-result').wait_for()
    save('charge')
    start = page.locator('#start-button')
    if start.is_enabled():
        start.click()
        page.locator('#live-state', has_text='Идёт зарядка').wait_for(
            timeout=30_000)
        page.wait_for_timeout(5000)
        save('live')
        page.locator('#stop-button').click()
        page.locator('#stop-confirm').click()
        page.get_by_text('Зарядка завершена.').wait_for(timeout=30_000)
    context.close()


def shoot_sao(browser, platform):
    "The operator's message centre in sao, and a station message"
    from .browser.test_sao import login
    context = browser.new_context(
        viewport={'width': 1400, 'height': 900}, locale='ru-RU')
    page = context.new_page()

    def save(name):
        page.wait_for_timeout(SETTLE_MS)
        page.screenshot(path=os.path.join(OUTPUT, 'sao-%s.png' % name))

    login(page, platform, 'operator')
    page.get_by_text('Электрозарядная сеть', exact=True).dblclick()
    page.get_by_text('Центр сообщений', exact=True).first.dblclick()
    row = page.get_by_text(re.compile('ED-MSK-001')).first
    row.wait_for(timeout=30_000)
    save('message-centre')
    row.dblclick()
    page.get_by_role('button', name='Взять себе').wait_for()
    save('station-message')
    context.close()


if __name__ == '__main__':
    main()
