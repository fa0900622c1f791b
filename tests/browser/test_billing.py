# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Billing in a real browser: finance opens the partner settlements and the
reports in sao, prints a statement and downloads a workbook"""
import io
import re
import zipfile
from decimal import Decimal

import pytest
from playwright.sync_api import expect

# The same Chromium fixture as the back-office browser tests.
from .test_sao import browser, login, open_page  # noqa: F401

PARTNER = 'ООО «ВольтЗаряд»'


@pytest.fixture
def page(browser, request):  # noqa: F811
    yield from open_page(browser, request, accept_downloads=True)


def money(value):
    return Decimal(value['decimal'])


def figures(text):
    """Return text without the thousands separators and with the decimal
    points as dots, to find an amount in it whatever the locale"""
    return re.sub(r'[\s\u00a0\u202f]', '', text).replace(',', '.')


def open_billing(page, *path):
    """Open the entry at the end of path in the Billing menu: the folders
    expand on a double click, an entry opens on a click (a double click may
    open a report's tab more than once)"""
    *folders, entry = ['Электрозарядная сеть', 'Расчёты', *path]
    for name in folders:
        item = page.get_by_text(name, exact=True).first
        expect(item).to_be_visible(timeout=20_000)
        item.dblclick()
        page.wait_for_load_state('networkidle')
    item = page.get_by_text(entry, exact=True).first
    expect(item).to_be_visible(timeout=20_000)
    item.click()
    page.wait_for_load_state('networkidle')
    expect(page.locator('#tablist a').filter(has_text=entry)).to_have_count(
        1, timeout=20_000)


def no_error_dialog(page):
    "sao shows the server's errors in a dialog"
    dialogs = page.locator('.error-dialog.in')
    if dialogs.count():
        raise AssertionError(dialogs.first.inner_text())


def download(page, button, label):
    """Choose label in the menu of the toolbar's button (print or action)
    and return the file the browser downloads"""
    with page.expect_download(timeout=30_000) as info:
        page.locator('button#%s:visible' % button).click()
        page.locator('ul[aria-labelledby=%s]:visible' % button).get_by_text(
            label, exact=True).click()
    result = info.value
    assert result.failure() is None
    with open(result.path(), 'rb') as fp:
        return result.suggested_filename, fp.read()


def test_finance_reads_and_prints_settlement(platform, page):
    """Finance opens last month's settlement of a partner: the station
    lines and the payout are the server's; the statement prints"""
    finance = platform.login('finance', language='ru')
    settlement, = finance.model('ev.billing.settlement', 'search_read',
        [('partner.party.name', '=', PARTNER),
            ('state', '=', 'confirmed')], 0, None, None,
        ['payout_amount', 'end_date', 'lines.station.rec_name'])
    stations = [l['station.']['rec_name'] for l in settlement['lines.']]
    payout = money(settlement['payout_amount'])
    end = '{day:02}.{month:02}.{year}'.format(**settlement['end_date'])

    login(page, platform, 'finance')
    open_billing(page, 'Взаиморасчёты с партнёрами')
    row = page.locator('tr').filter(has_text=PARTNER).first
    expect(row).to_be_visible(timeout=20_000)
    # The partner's name is a link to the partner: open the row by its end.
    row.get_by_text(end, exact=True).dblclick()

    form = page.locator('.form:visible')
    for station in stations:
        expect(form.get_by_text(station, exact=True)).to_be_visible(
            timeout=20_000)
    amount = form.locator('input[type=text][name=payout_amount]')
    expect(amount).not_to_have_value('', timeout=20_000)
    assert figures(amount.input_value()) == str(payout)

    name, data = download(page, 'print', 'Выписка по взаиморасчёту')
    assert name.endswith('.html'), name
    html = data.decode('utf-8')
    assert PARTNER in html
    for station in stations:
        assert station in html
    assert str(payout) in figures(html)
    page.wait_for_load_state('networkidle')
    no_error_dialog(page)
    assert page.errors == []


def test_finance_downloads_report_workbook(platform, page):
    """Finance opens a billing report and downloads it as an Excel
    workbook"""
    login(page, platform, 'finance')
    open_billing(page, 'Отчёты', 'Сессии по станциям')
    row = page.locator('tr').filter(
        has_text='Тверская [VZ-MSK-001]').first
    # The rows, or the error that kept them from coming
    expect(row.or_(page.locator('.error-dialog.in')).first).to_be_visible(
        timeout=20_000)
    no_error_dialog(page)
    expect(row).to_be_visible()
    # The report opens with its filters filled: periods of a month.
    expect(page.locator('select[name=period]:visible')).to_have_value(
        re.compile('month'))
    no_error_dialog(page)
    # Actions need a selected row; the workbook holds all of them. (The
    # station's name is a link to the station.)
    row.locator('input[type=checkbox]').first.check()

    name, data = download(page, 'action', 'Скачать Excel')
    assert name.endswith('.xlsx'), name
    assert name.startswith('Сессии по станциям'), name
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read('xl/worksheets/sheet1.xml')
        strings = archive.read('xl/sharedStrings.xml').decode('utf-8')
    assert sheet
    assert 'Тверская [VZ-MSK-001]' in strings
    assert 'Итого' in strings
    page.wait_for_load_state('networkidle')
    no_error_dialog(page)
    assert page.errors == []
