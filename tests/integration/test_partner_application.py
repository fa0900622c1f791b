# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A company applies on the public form, the operator connects it, and its
staff join through invitations: trytond over HTTP, the e-mails received by a
local SMTP server"""
import base64
import re
import uuid

import requests

import pytest

from ..conftest import EMAIL_FROM
from ..harness import RPCError
from ..smtp import body, recipients

PDF = b'%PDF-1.4\n% registration extract\n'
LINK_RE = re.compile(r'href="(http://[^"]+/ev_partner/invitation/[\w-]+)"')


def application(email, **values):
    data = {
        'legal_name': "Volt Charging LLC",
        'country': 'RU',
        'inn': '7707083893',
        'kpp': '773601001',
        'ogrn': '1027700132195',
        'legal_address': "ul. Vavilova 19, Moscow",
        'bank_name': "Sberbank",
        'bank_bic': '044525225',
        'bank_account': '40702810938000000001',
        'bank_correspondent_account': '30101810400000000225',
        'contact_name': "Irina Sokolova",
        'contact_email': email,
        'contact_phone': '+7 495 000-00-01',
        'website': 'https://volt.example',
        'consent': '1',
        }
    data.update(values)
    return data


def unique_email(name):
    return '%s-%s@volt.example' % (name, uuid.uuid4().hex[:8])


def apply_url(platform):
    return '%s/%s/ev_partner/apply' % (platform.url, platform.database)


def accept(link, login, name, password, **headers):
    "Open the link of the invitation and create the user; return the page"
    page = requests.get(link, headers=headers, timeout=30)
    assert page.status_code == 200, page.text
    assert 'name="password2"' in page.text
    response = requests.post(link, data={
            'login': login, 'name': name,
            'password': password, 'password2': password,
            }, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response


def group_names(rpc):
    "Return the English names of the groups of the logged-in user"
    groups = rpc.call('model.res.group.read', rpc.context['groups'],
        ['name'], dict(rpc.context, language='en'))
    return {g['name'] for g in groups}


def test_form_is_served(platform):
    "The form is public, Russian by default and English on demand"
    page = requests.get(apply_url(platform), timeout=30)
    assert page.status_code == 200
    assert page.headers['Content-Type'].startswith('text/html')
    assert 'lang="ru"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    page = requests.get(apply_url(platform), params={'lang': 'en'},
        timeout=30)
    assert 'lang="en"' in page.text
    assert "Join the EV charging network" in page.text
    page = requests.get(apply_url(platform),
        headers={'Accept-Language': 'en-US,en;q=0.9'}, timeout=30)
    assert 'lang="en"' in page.text


def test_refused_application_is_translated(platform, smtp_server):
    "An invalid INN is refused in the visitor's language, nothing kept"
    email = unique_email('refused')
    for language, word in [('en', 'INN'), ('ru', 'ИНН')]:
        response = requests.post(apply_url(platform),
            data=application(email, inn='7707083894'),
            headers={'Accept-Language': language}, timeout=30)
        assert response.status_code == 400
        assert '7707083894' in response.text
        assert word in response.text
    operator = platform.login('operator', language='en')
    assert operator.model('ev.partner', 'search',
        [('contact_email', '=', email)], 0, None, None) == []
    assert smtp_server.messages(email) == []


def test_application_to_staff(platform, smtp_server):
    "From the public form to a partner team that logs in"
    email = unique_email('apply')
    response = requests.post(apply_url(platform),
        data=application(email, lang='en'),
        files=[('documents', ('extract.pdf', PDF, 'application/pdf'))],
        timeout=30)
    assert response.status_code == 200, response.text
    assert email in response.text

    received, = smtp_server.wait(email)
    assert received['Subject'] == "Application received: Volt Charging LLC"
    assert received['Content-Language'] == 'en'
    assert received['From'] == EMAIL_FROM
    assert "We have received the application of Volt Charging LLC" in body(
        received)

    # The operator finds the application with its document.
    operator = platform.login('operator', language='en')
    partner_id, = operator.model('ev.partner', 'search',
        [('contact_email', '=', email)], 0, None, None)
    partner, = operator.model('ev.partner', 'read', [partner_id],
        ['state', 'origin', 'legal_name', 'inn', 'lang.code'])
    assert partner['state'] == 'application'
    assert partner['origin'] == 'web'
    assert partner['inn'] == '7707083893'
    assert partner['lang.']['code'] == 'en'
    attachment, = operator.model('ir.attachment', 'search_read',
        [('resource', '=', 'ev.partner,%s' % partner_id)], 0, None, None,
        ['name', 'data'])
    assert attachment['name'] == 'extract.pdf'
    data = attachment['data']
    if isinstance(data, dict):
        data = base64.b64decode(data['base64'])
    assert data == PDF

    # Review, then connection: one e-mail each, in English.
    operator.model('ev.partner', 'review', [partner_id])
    operator.model('ev.partner', 'connect', [partner_id])
    _, review, connected = smtp_server.wait(email, 3)
    assert review['Subject'] == (
        "Your application is under review: Volt Charging LLC")
    assert connected['Subject'] == (
        "Connected to the EV charging network: Volt Charging LLC")
    assert recipients(connected) == [email]
    assert connected['Content-Language'] == 'en'

    # The operator invites the partner's manager.
    role_manager, = operator.model('res.role', 'search',
        [('name', '=', "EV Partner Manager")], 0, None, None)
    boss_email = unique_email('boss')
    invitation_id, = operator.model('ev.partner.invitation', 'create', [{
                'partner': partner_id, 'email': boss_email,
                'role': role_manager}])
    operator.model('ev.partner.invitation', 'send', [invitation_id])
    mail, = smtp_server.wait(boss_email)
    assert mail['Content-Language'] == 'en'
    assert "Volt Charging LLC" in mail['Subject']
    link, = set(LINK_RE.findall(body(mail)))
    assert link.startswith(platform.url)
    boss_login = 'boss-%s' % uuid.uuid4().hex[:6]
    accept(link, boss_login, "Irina Sokolova", 'Boss-Secret-42')
    assert requests.get(link, timeout=30).status_code == 410

    # The manager logs in, sees his partner only, and invites a technician
    # who reads Russian.
    boss = platform.login(boss_login, 'Boss-Secret-42')
    assert "EV Partner Manager" in group_names(boss)
    assert boss.context['language'] == 'en'
    assert boss.model('ev.partner', 'search', [], 0, None, None) == [
        partner_id]
    role_technician, = boss.model('res.role', 'search',
        [('name', '=', "EV Partner Technician")], 0, None, None)
    russian, = boss.model('ir.lang', 'search', [('code', '=', 'ru')],
        0, None, None)
    tech_email = unique_email('tech')
    invitation_id, = boss.model('ev.partner.invitation', 'create', [{
                'email': tech_email, 'role': role_technician,
                'lang': russian}])
    invitation, = boss.model('ev.partner.invitation', 'read',
        [invitation_id], ['partner', 'invited_by', 'state'])
    assert invitation['partner'] == partner_id
    assert invitation['invited_by'] == boss.user_id
    with pytest.raises(RPCError):
        boss.model('ev.partner.invitation', 'write', [invitation_id],
            {'state': 'accepted'})
    boss.model('ev.partner.invitation', 'send', [invitation_id])
    mail, = smtp_server.wait(tech_email)
    assert mail['Content-Language'] == 'ru'
    assert "Принять приглашение" in body(mail)
    link, = set(LINK_RE.findall(body(mail)))
    tech_login = 'tech-%s' % uuid.uuid4().hex[:6]
    page = accept(link, tech_login, "Павел Кузнецов", 'Tech-Secret-42')
    assert 'lang="ru"' in page.text

    tech = platform.login(tech_login, 'Tech-Secret-42')
    groups = group_names(tech)
    assert "EV Partner Technician" in groups
    assert "EV Partner Manager" not in groups
    assert tech.context['language'] == 'ru'
    assert tech.model('ev.partner', 'search', [], 0, None, None) == [
        partner_id]
    with pytest.raises(RPCError):
        tech.model('ev.partner.invitation', 'search', [], 0, None, None)


def test_russian_application_emails(platform, smtp_server):
    "A Russian applicant gets the e-mails of each step in Russian"
    email = unique_email('ru')
    response = requests.post(apply_url(platform),
        data=application(email, legal_name="ООО «Вольт»"),
        headers={'Accept-Language': 'ru-RU,ru;q=0.9'}, timeout=30)
    assert response.status_code == 200, response.text
    assert 'lang="ru"' in response.text

    operator = platform.login('operator', language='ru')
    partner_id, = operator.model('ev.partner', 'search',
        [('contact_email', '=', email)], 0, None, None)
    operator.model('ev.partner', 'review', [partner_id])
    operator.model('ev.partner', 'connect', [partner_id])
    operator.model('ev.partner', 'write', [partner_id],
        {'state_reason': "Задолженность по счёту 42"})
    operator.model('ev.partner', 'suspend', [partner_id])
    received, review, connected, suspended = smtp_server.wait(email, 4)
    for msg in [received, review, connected, suspended]:
        assert msg['Content-Language'] == 'ru'
        assert "ООО «Вольт»" in msg['Subject']
    assert received['Subject'] == "Заявка получена: ООО «Вольт»"
    assert "Задолженность по счёту 42" in body(suspended)
    assert "Причина:" in body(suspended)


def test_invitation_link_refused(platform):
    "A made-up link is refused with a page, not an error"
    response = requests.get('%s/%s/ev_partner/invitation/%s' % (
            platform.url, platform.database, uuid.uuid4().hex), timeout=30)
    assert response.status_code == 404
    assert 'role="alert"' in response.text
