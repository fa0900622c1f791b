# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client app as an installable PWA in a real browser against the demo
platform: Chromium finds no installability error and reads the manifest,
the service worker controls the app, and offline the app still shows the
last-known stations and the logged-in client's history, read-only"""
import json

import pytest
from playwright.sync_api import expect

from .test_portal import MOSCOW, app_url
from .test_sao import (  # noqa: F401
    CHROMIUM, CHROMIUM_ARGS, browser, open_page)

OFFLINE_BANNER = 'Нет сети: показаны последние сохранённые данные.'


class ProfileBrowser:
    """The browser with a profile on disk for each context: Chromium never
    finds an app installable in an incognito context, which new_context
    makes"""

    def __init__(self, browser, folder):  # noqa: F811
        self.browser = browser
        self.folder = folder

    def new_context(self, **options):
        return self.browser.browser_type.launch_persistent_context(
            str(self.folder), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, **options)


@pytest.fixture
def page(browser, request, tmp_path):  # noqa: F811
    yield from open_page(ProfileBrowser(browser, tmp_path), request,
        viewport={'width': 360, 'height': 740}, geolocation=MOSCOW,
        permissions=['geolocation'])


def reload_through_worker(page):
    "Wait for the service worker, reload and check it controls the page"
    # Not wait_for_function: it evaluates text, which the app's CSP forbids.
    assert page.evaluate('''() => Promise.race([
        navigator.serviceWorker.ready.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 30000)),
    ])'''), "no service worker"
    response = page.reload()
    assert response.from_service_worker
    assert page.evaluate('navigator.serviceWorker.controller !== null')


def log_in(page, platform):
    "Log a demo client with invoiced sessions in, and return its e-mail"
    email, = [l for l in sorted(platform.logins) if l.startswith('a.')]
    page.goto(app_url(platform) + '#/login')
    page.get_by_label('E-mail').fill(email)
    page.get_by_label('Пароль', exact=True).fill(platform.logins[email])
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли.')).to_be_visible(timeout=20_000)
    return email


def stations_shown(page):
    names = page.locator('#station-list a[href^="#/station/"]')
    expect(names.first).to_be_visible(timeout=20_000)
    return names.all_inner_texts()


def served_offline(page, platform, path):
    "Whether the worker answered the API path from its cache"
    return page.evaluate('''async (url) => {
        const response = await fetch(url);
        return response.headers.get('X-EV-Offline') === '1';
    }''', '%s/%s/ev/api/v1/%s' % (platform.url, platform.database, path))


def test_installable(page, platform):
    "Chromium finds the app installable, with the manifest it ships"
    app = app_url(platform)
    page.goto(app + '#/list')
    reload_through_worker(page)

    cdp = page.context.new_cdp_session(page)
    errors = cdp.send('Page.getInstallabilityErrors')
    assert errors['installabilityErrors'] == [], errors
    manifest = cdp.send('Page.getAppManifest')
    assert manifest['url'] == app + 'manifest.webmanifest'
    assert manifest['errors'] == [], manifest['errors']
    data = json.loads(manifest['data'])
    assert data['name'] == 'EV Зарядка'
    assert data['short_name']
    assert data['display'] == 'standalone'
    assert data['lang'] == 'ru'
    assert data['start_url'] == './#/map'
    assert data['scope'] == './'
    # As Chromium understands it: the app of this database, not of every
    # database the server holds.
    assert manifest['manifest']['startUrl'] == app + '#/map'
    assert manifest['manifest']['scope'] == app
    assert manifest['manifest']['id'] == app
    icons = {(i['sizes'], i.get('purpose', 'any')): i['src']
        for i in data['icons']}
    assert {('192x192', 'any'), ('512x512', 'any'),
        ('512x512', 'maskable')} <= set(icons), icons
    # Every icon is served, as a PNG of its declared size.
    for (sizes, _), src in icons.items():
        size = page.evaluate('''async (src) => {
            const response = await fetch(src);
            if (!response.ok
                    || response.headers.get('Content-Type') !== 'image/png') {
                return null;
            }
            const bitmap = await createImageBitmap(await response.blob());
            return `${bitmap.width}x${bitmap.height}`;
        }''', app + src)
        assert size == sizes, (src, size)
    cdp.detach()
    assert not page.errors, page.errors


def test_offline_stations(page, platform):
    "Offline the worker serves the shell and the last-known stations"
    app = app_url(platform)
    page.goto(app + '#/list')
    reload_through_worker(page)
    online = stations_shown(page)
    assert online
    expect(page.locator('#offline-banner')).to_be_hidden()

    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.locator('#offline-banner')).to_have_text(
            OFFLINE_BANNER, timeout=20_000)
        assert stations_shown(page) == online
        # The network was down for the worker too, not only for the page.
        assert served_offline(page, platform, 'stations')
    finally:
        page.context.set_offline(False)
    assert not page.errors, page.errors


def test_offline_history(page, platform):
    "Offline the logged-in client still reads its history, read-only"
    app = app_url(platform)
    page.goto(app + '#/list')
    reload_through_worker(page)
    log_in(page, platform)
    # The app reads GET me at the login: the worker keeps it.
    page.goto(app + '#/history')
    sessions = page.locator('#history-sessions > li')
    expect(sessions.first).to_be_visible(timeout=20_000)
    online = sessions.all_inner_texts()

    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.locator('#offline-banner')).to_have_text(
            OFFLINE_BANNER, timeout=20_000)
        expect(sessions.first).to_be_visible(timeout=20_000)
        assert sessions.all_inner_texts() == online
        assert served_offline(page, platform, 'history')
        # Still the logged-in client's app, not the visitor's.
        expect(page.locator('#tab-bar a[href="#/login"]')).to_have_count(0)
        # Read-only: the history has nothing to send.
        expect(page.locator('main form, main button')).to_have_count(0)
    finally:
        page.context.set_offline(False)
    assert not page.errors, page.errors
