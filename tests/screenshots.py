# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Take the screenshots of the drivers' app in docs/screenshots/: the demo
platform (tests/harness.py), a demo client logged in, phone and desktop
sizes, with the system Chromium

    .venv/bin/python -m tests.screenshots

Not a test; the map's tiles need the network, so offline the map shows its
markers on a blank ground."""
import os
import shutil

from playwright.sync_api import sync_playwright

from .harness import Platform, ROOT

OUTPUT = os.path.join(ROOT, 'docs', 'screenshots')
SIZES = {'phone': (390, 844), 'desktop': (1280, 800)}
MOSCOW = {'latitude': 55.7539, 'longitude': 37.6208}


def main():
    platform = Platform()
    try:
        platform.create()
        platform.start()
        app = '%s/%s/ev/app/' % (platform.url, platform.database)
        email = sorted(l for l in platform.logins if '@' in l)[0]
        os.makedirs(OUTPUT, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which('chromium'), headless=True)
            for size, (width, height) in SIZES.items():
                context = browser.new_context(
                    viewport={'width': width, 'height': height},
                    locale='ru-RU', geolocation=MOSCOW,
                    permissions=['geolocation'])
                page = context.new_page()
                page.goto(app + '#/login')
                page.get_by_label('E-mail').fill(email)
                page.get_by_label('Пароль', exact=True).fill(
                    platform.logins[email])
                page.get_by_role('button', name='Войти').click()
                page.get_by_text('Вы вошли.').wait_for()
                for screen in ['map', 'list', 'account', 'history',
                        'subscriptions', 'profile']:
                    page.goto(app + '#/' + screen)
                    # The map's tiles never settle offline: a fixed wait.
                    page.wait_for_timeout(2500)
                    page.screenshot(path=os.path.join(
                            OUTPUT, '%s-%s.png' % (screen, size)))
                page.goto(app + '#/list')
                page.locator('main a[href^="#/station/"]').first.click()
                page.wait_for_timeout(2500)
                page.screenshot(path=os.path.join(
                        OUTPUT, 'station-%s.png' % size))
                context.close()
            browser.close()
    finally:
        platform.destroy()


if __name__ == '__main__':
    main()
