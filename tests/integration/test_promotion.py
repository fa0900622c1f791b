# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Promo codes and subscriptions as the client app uses them: clients
logged in over RPC call the client API of ev_tariff against the running
trytond (docs/access.md)

- Concurrency: clients redeeming a limited code at the same instant, each
  through a session of its own, never get more uses than the code allows.
- The client API: check_code, redeem, my_codes, withdraw, get_offers,
  ev_purchase, ev_my_subscriptions and ev_cancel_renewal, with their
  refusals in the client's language.
- Isolation: a client reaches none of another client's code uses,
  subscriptions or subscription usage, nor the promotions themselves.

Every client, code, plan and station is the test's own (named after a
random tag), so that nothing here prices a session of another test."""
import datetime as dt
import itertools
import threading
import uuid
from decimal import Decimal

import pytest

from ..harness import RPCError

REDEMPTION = 'ev.promotion.redemption'
SUBSCRIPTION = 'sale.subscription'
USAGE = 'ev.subscription.usage'
PLAN = 'ev.subscription.plan'

# The refusals as an English client reads them (ev_tariff/message.xml).
USED_UP = 'The promo code "%s" has been used as many times as it may be.'
CLIENT_LIMIT = ('You have already used the promo code "%s" as many times '
    'as it allows.')
PENDING = 'The promo code "%s" is already waiting for your next session.'
UNKNOWN = 'The promo code "%s" does not exist.'
NOT_AT_STATION = 'The promo code "%s" is not valid at the station "%s".'
NOT_YOUR_SESSION = (
    'The session is not one of your charging sessions in progress.')
NOT_WITHDRAWABLE = (
    'Only a promo code that waits for your next session can be given back.')
ALREADY_SUBSCRIBED = 'You already have the subscription "%s".'
NOT_RUNNING = 'The subscription is not one of your running subscriptions.'


def rpc_decimal(text):
    "Return the number as trytond's JSON-RPC encodes a Decimal"
    return {'__class__': 'Decimal', 'decimal': text}


def decimal_text(value):
    "Return the text of a Decimal as trytond's JSON-RPC encodes it"
    assert value['__class__'] == 'Decimal', value
    return value['decimal']


def rpc_to_date(value):
    assert value['__class__'] == 'date', value
    return dt.date(value['year'], value['month'], value['day'])


def refusal(call):
    "Return the message of the UserError the call raises"
    with pytest.raises(RPCError) as info:
        call()
    kind, (message, *_) = info.value.error
    assert kind == 'UserError', info.value.error
    return message


def assert_access_error(error):
    """Check that the RPC error is trytond's refusal of access (the test
    users work in English)"""
    kind, (message, *_) = error
    assert kind == 'UserError', error
    assert 'not allowed' in message, error


def race(calls):
    """Run the calls at the same instant from threads of their own; return
    for each ('ok', result), ('error', RPC error) or ('exception', text)
    when the call failed in another way (an HTTP 503 for instance)"""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = ('ok', call())
        except RPCError as exception:
            results[index] = ('error', exception.error)
        except Exception as exception:
            results[index] = ('exception', repr(exception))
    threads = [threading.Thread(target=run, args=(i, c))
        for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not any(t.is_alive() for t in threads), "a call never returned"
    return results


def top_up(admin, company, party, amount='100000'):
    """Credit the party's charging balance with a posted move (a top-up
    received by bank transfer): billing refuses a start without one"""
    config = admin.model('ev.configuration', 'read', [1],
        ['balance_account', 'card_journal'])[0]
    journal = admin.model('account.payment.journal', 'read',
        [config['card_journal']], ['clearing_account', 'clearing_journal'])[0]
    today = dt.date.today()
    today = {'__class__': 'date',
        'year': today.year, 'month': today.month, 'day': today.day}
    period, = admin.model('account.period', 'search', [
            ('company', '=', company), ('type', '=', 'standard'),
            ('start_date', '<=', today), ('end_date', '>=', today),
            ], 0, 1, None)
    move, = admin.model('account.move', 'create', [{
                'company': company, 'journal': journal['clearing_journal'],
                'period': period, 'date': today,
                'lines': [('create', [{
                                'account': journal['clearing_account'],
                                'debit': rpc_decimal(amount),
                                'credit': rpc_decimal('0'),
                                }, {
                                'account': config['balance_account'],
                                'party': party,
                                'debit': rpc_decimal('0'),
                                'credit': rpc_decimal(amount),
                                }])],
                }])
    admin.model('account.move', 'post', [move])


class Client:
    "A client party with its user, ID tag and RPC session"

    def __init__(self, world, name, language):
        self.world = world
        admin = world.admin
        self.login = 'promo-%s-%s' % (world.tag, name)
        self.password = 'Pr0mo#%s-Qz8w' % next(world.counter)
        self.party, = admin.model('party.party', 'create', [{
                    'name': "Promo %s %s" % (name, world.tag),
                    'ev_client': True}])
        top_up(admin, world.company, self.party)
        self.tag_code = ('PROMO-%s-%s' % (world.tag, name)).upper()
        admin.model('ev.id_tag', 'create', [{
                    'code': self.tag_code, 'kind': 'rfid',
                    'party': self.party, 'status': 'accepted',
                    'company': world.company,
                    }])
        admin.model('res.user', 'create', [{
                    'login': self.login, 'name': "Promo %s" % name,
                    'password': self.password, 'ev_party': self.party,
                    'language': world.languages[language],
                    'companies': [('add', [world.company])],
                    'company': world.company,
                    'groups': [('add', [world.client_group])],
                    }])
        self.rpc = self.session()

    def session(self):
        "Return a new RPC session of the client"
        return self.world.platform.login(self.login, self.password)

    def model(self, model, method, *args):
        return self.rpc.model(model, method, *args)


class World:
    """What the tests share: the administrator, a station of the test's own,
    a monthly plan valid everywhere and the OCPP user to charge on it"""

    def __init__(self, platform):
        self.platform = platform
        self.tag = uuid.uuid4().hex[:6]
        self.counter = itertools.count(10)
        self.codes = itertools.count(1)
        self.admin = admin = platform.login('admin', platform.admin_password)
        self.company = admin.context['company']
        self.currency = admin.model('company.company', 'read',
            [self.company], ['currency'])[0]['currency']
        self.languages = {lang['code']: lang['id'] for lang in admin.model(
                'ir.lang', 'search_read', [('code', 'in', ['en', 'ru'])],
                0, None, None, ['code'])}
        context = dict(admin.context, language='en')
        self.client_group, = admin.call('model.res.group.search',
            [('name', '=', "EV Client")], 0, None, None, context)
        self._station()
        self._plan()
        with open('%s/demo-ocpp-password' % platform.folder) as fp:
            self.ocpp = platform.login('ocpp', fp.read().strip())
        self.transactions = itertools.count(1)

    def _station(self):
        """A connected partner of the test's own, without a tariff: the
        platform's prices its station, which has three connectors"""
        admin = self.admin
        partner, = admin.model('ev.partner', 'create', [{
                    'legal_name': "Promo %s" % self.tag,
                    'contact_email': 'promo-%s@example.com' % self.tag,
                    'company': self.company,
                    }])
        admin.model('ev.partner', 'review', [partner])
        admin.model('ev.partner', 'connect', [partner])
        party = admin.model('ev.partner', 'read', [partner],
            ['party'])[0]['party']
        type2, = admin.model('ev.connector.type', 'search',
            [('code', '=', 'type2')], 0, 1, None)
        self.identity = 'PROMO-%s' % self.tag.upper()
        self.station, = admin.model('ev.station', 'create', [{
                    'name': "Promo %s" % self.tag,
                    'identity': self.identity, 'partner': party,
                    'company': self.company,
                    'connectors': [('create', [{
                                    'number': n, 'evse': n, 'type': type2,
                                    'max_power': '150'}
                                for n in [1, 2, 3]])],
                    }])
        admin.model('ev.station', 'connect', [self.station])
        self.connectors = admin.model('ev.connector', 'search',
            [('station', '=', self.station)], 0, None,
            [('number', 'ASC')])
        # A connector of a demo station: elsewhere.
        self.other_connector, = admin.model('ev.connector', 'search',
            [('station', '!=', self.station)], 0, 1, [('id', 'ASC')])

    def _plan(self):
        "A monthly plan with 10 kWh included, valid everywhere"
        admin = self.admin
        unit, = admin.model('product.uom', 'search',
            [('symbol', '=', 'u')], 0, 1, None)
        self.plan_name = "Promo plan %s" % self.tag
        template, = admin.model('product.template', 'create', [{
                    'name': self.plan_name, 'type': 'service',
                    'default_uom': unit, 'salable': True,
                    'sale_uom': unit, 'list_price': rpc_decimal('990'),
                    'products': [('create', [{}])],
                    }])
        product, = admin.model('product.product', 'search',
            [('template', '=', template)], 0, None, None)
        monthly = admin.model('ir.model.data', 'get_id',
            'ev_tariff', 'recurrence_monthly')
        self.service, = admin.model('sale.subscription.service', 'create',
            [{'product': product, 'consumption_recurrence': monthly}])
        self.plan, = admin.model(PLAN, 'create', [{
                    'name': self.plan_name, 'service': self.service,
                    'company': self.company, 'currency': self.currency,
                    'fee': rpc_decimal('990'),
                    'included_energy_wh': 10000,
                    }])

    def client(self, name, language='en'):
        return Client(self, name, language)

    def promotion(self, name, uses=0, per_client=1, **values):
        """Create a charging promotion of half price with one code; return
        the code"""
        code = ('%s-%s-%s' % (name, self.tag, next(self.codes))).upper()
        values.setdefault('ev_discount', 'percentage')
        values.setdefault('ev_rate', rpc_decimal('0.5'))
        self.admin.model('sale.promotion', 'create', [dict({
                        'name': "Promo %s" % code,
                        'company': self.company,
                        'formula': 'unit_price',
                        'coupons': [('create', [{
                                        'number_of_use': uses,
                                        'ev_client_limit': per_client,
                                        # Valid whatever the date.
                                        'numbers': [('create', [{
                                                        'number': code,
                                                        'start_date': None,
                                                        }])],
                                        }])],
                        }, **values)])
        return code

    def redemptions(self, code, states=('reserved', 'applied')):
        "Return the uses of the code, as the administrator reads them"
        return self.admin.model(REDEMPTION, 'search_read', [
                ('code', '=', code), ('state', 'in', list(states)),
                ], 0, None, None, ['party', 'state', 'session'])

    def start(self, client, connector=0):
        """Start a session of the client on the station now; return its id
        and its transaction"""
        ref = 'promo-%s-%s' % (self.tag, next(self.transactions))
        result = self.ocpp.model('ev.ocpp.gateway', 'start_transaction',
            self.identity, 'start-' + ref, None, connector + 1, None,
            client.tag_code, 0, ref)
        assert result['id_tag_status'] == 'accepted', result
        return result['session'], ref

    def stop(self, session, ref, energy_wh):
        "Stop the session a minute after its start"
        start, = self.admin.model('ev.session', 'read', [session],
            ['start_at'])
        at = dt.datetime(*(start['start_at'][k] for k in [
                    'year', 'month', 'day', 'hour', 'minute', 'second']))
        at += dt.timedelta(minutes=1)
        self.ocpp.model('ev.ocpp.gateway', 'stop_transaction',
            self.identity, 'stop-' + ref, at.isoformat() + 'Z', ref,
            energy_wh, 'local', None, None)


@pytest.fixture(scope='module')
def world(platform):
    return World(platform)


# Concurrency


def check_race(results, refusals):
    """Check that one call of the race succeeded and trytond's retries made
    every other one end refused with one of the refusals; return the result
    of the successful call"""
    assert not [r for r in results if r[0] == 'exception'], (
        "calls failed instead of being retried until refused", results)
    winners = [value for kind, value in results if kind == 'ok']
    assert len(winners) == 1, results
    for kind, value in results:
        if kind == 'error':
            error_kind, (message, *_) = value
            assert error_kind == 'UserError', value
            assert message in refusals, value
    return winners[0]


@pytest.mark.parametrize('round_', range(3))
def test_single_use_code_concurrent(world, round_):
    """Six clients redeem a single-use code at the same instant, each in a
    session of its own: the database holds one use; one client got it and
    the others are told it is used up"""
    code = world.promotion('once', uses=1, per_client=1)
    clients = [world.client('once%s-%s' % (round_, i)) for i in range(6)]
    results = race([
            lambda c=c: c.model(REDEMPTION, 'redeem', code, None)
            for c in clients])
    uses = world.redemptions(code)
    assert len(uses) == 1, ("a single-use code used more than once", uses)
    won = check_race(results, {USED_UP % code})
    assert (won['id'], won['code'], won['state']) == (
        uses[0]['id'], code, 'reserved')
    winner, = [c for c, r in zip(clients, results) if r[0] == 'ok']
    assert uses[0]['party'] == winner.party


def test_client_limit_concurrent(world):
    """A client redeems a code it may use once from four sessions at the
    same instant: one reserved use"""
    code = world.promotion('mine', uses=0, per_client=1)
    client = world.client('limit')
    sessions = [client.rpc] + [client.session() for _ in range(3)]
    results = race([
            lambda s=s: s.model(REDEMPTION, 'redeem', code, None)
            for s in sessions])
    uses = world.redemptions(code)
    assert [(u['party'], u['state']) for u in uses] == [
        (client.party, 'reserved')], uses
    won = check_race(results, {PENDING % code, CLIENT_LIMIT % code})
    assert won['id'] == uses[0]['id']
    assert client.model(REDEMPTION, 'my_codes') == [won]


def test_purchase_concurrent(world):
    """A client buys the plan from four sessions at the same instant: one
    subscription"""
    client = world.client('buyer')
    sessions = [client.rpc] + [client.session() for _ in range(3)]
    results = race([
            lambda s=s: s.model(SUBSCRIPTION, 'ev_purchase', world.plan)
            for s in sessions])
    subscriptions = world.admin.model(SUBSCRIPTION, 'search', [
            ('party', '=', client.party),
            ], 0, None, None)
    assert len(subscriptions) == 1, (
        "a plan bought more than once", subscriptions)
    won = check_race(results, {ALREADY_SUBSCRIBED % world.plan_name})
    assert won['id'] == subscriptions[0]


# The client API


def test_check_code_in_russian(world):
    """A client working in Russian reads why a code is refused, and what a
    valid one gives, in Russian"""
    client = world.client('russian', language='ru')
    assert client.rpc.context['language'] == 'ru'
    unknown = 'NO-SUCH-%s' % world.tag.upper()
    result = client.model(REDEMPTION, 'check_code', unknown.lower(), None)
    assert result['valid'] is False
    assert result['code'] == unknown
    assert unknown in result['reason']
    assert not result['reason'].isascii(), result['reason']
    assert result['reason'] != UNKNOWN % unknown

    code = world.promotion('ru')
    result = client.model(REDEMPTION, 'check_code', code, None)
    assert result['valid'] is True, result
    assert result['kind'] == 'percentage'
    assert '50' in result['description']
    assert not result['description'].isascii(), result['description']

    # Redeemed by somebody else, a single-use code is used up.
    used = world.promotion('ru-used', uses=1)
    world.client('ru-first').model(REDEMPTION, 'redeem', used, None)
    message = refusal(lambda: client.model(REDEMPTION, 'redeem', used, None))
    assert used in message
    assert not message.isascii(), message


def test_redeem_my_codes_withdraw(world):
    """A client checks a code, redeems it for its next session, lists it,
    gives it back and redeems it again"""
    client = world.client('codes')
    code = world.promotion('codes')
    result = client.model(REDEMPTION, 'check_code',
        ' %s ' % code.lower(), None)
    assert result == {'valid': True, 'code': code,
        'promotion': "Promo %s" % code,
        'description': '50% off the session', 'kind': 'percentage'}
    assert client.model(REDEMPTION, 'my_codes') == []

    use = client.model(REDEMPTION, 'redeem', code.lower(), None)
    assert (use['code'], use['state'], use['session'], use['discount']) == (
        code, 'reserved', None, None)
    assert refusal(lambda: client.model(
            REDEMPTION, 'redeem', code, None)) == PENDING % code
    assert client.model(REDEMPTION, 'my_codes') == [use]
    assert client.model(REDEMPTION, 'search_read', [], 0, None, None,
        ['code', 'state']) == [
        {'id': use['id'], 'code': code, 'state': 'reserved'}]

    client.model(REDEMPTION, 'withdraw', use['id'])
    assert client.model(REDEMPTION, 'my_codes') == []
    assert world.redemptions(code, states=['cancelled']) == [
        {'id': use['id'], 'party': client.party, 'state': 'cancelled',
            'session': None}]
    assert refusal(lambda: client.model(
            REDEMPTION, 'withdraw', use['id'])) == NOT_WITHDRAWABLE

    # Given back, the use counts no more.
    again = client.model(REDEMPTION, 'redeem', code, None)
    assert again['id'] != use['id']
    assert client.model(REDEMPTION, 'my_codes') == [again]

    unknown = 'NO-SUCH-%s' % world.tag.upper()
    assert client.model(REDEMPTION, 'check_code', unknown, None) == {
        'valid': False, 'code': unknown, 'reason': UNKNOWN % unknown}
    assert refusal(lambda: client.model(
            REDEMPTION, 'redeem', unknown, None)) == UNKNOWN % unknown


def test_check_code_station(world):
    "A code of one station is valid on its connectors only"
    client = world.client('station')
    code = world.promotion('station', ev_stations=[
            ('add', [world.station])])
    assert client.model(REDEMPTION, 'check_code', code,
        world.connectors[0])['valid'] is True
    name, = world.admin.model('ev.connector', 'read',
        [world.other_connector], ['station.name'])
    result = client.model(REDEMPTION, 'check_code', code,
        world.other_connector)
    assert result['valid'] is False
    assert result['reason'] == NOT_AT_STATION % (
        code, name['station.']['name'])


def test_subscription_purchase(world):
    """A client reads the offers, buys the plan once, lists its
    subscription and stops its renewal"""
    client = world.client('subscriber')
    offers = {o['id']: o for o in client.model(PLAN, 'get_offers')}
    offer = offers[world.plan]
    assert offer['name'] == world.plan_name
    assert Decimal(decimal_text(offer['fee'])) == 990
    assert offer['included_energy_wh'] == 10000
    assert offer['period']
    assert client.model(SUBSCRIPTION, 'ev_my_subscriptions') == []

    bought = client.model(SUBSCRIPTION, 'ev_purchase', world.plan)
    assert bought['plan']['id'] == world.plan
    assert (bought['state'], bought['renews'], bought['end_date']) == (
        'running', True, None)
    assert (bought['energy_used_wh'], bought['energy_left_wh']) == (
        0, 10000)
    assert rpc_to_date(bought['start_date']) == rpc_to_date(
        bought['period_start'])

    assert refusal(lambda: client.model(
            SUBSCRIPTION, 'ev_purchase', world.plan)) == (
        ALREADY_SUBSCRIBED % world.plan_name)
    mine = client.model(SUBSCRIPTION, 'ev_my_subscriptions')
    assert [s['id'] for s in mine] == [bought['id']]
    records = world.admin.model(SUBSCRIPTION, 'search_read', [
            ('party', '=', client.party)], 0, None, None,
        ['ev_plan', 'state', 'lines'])
    assert [(r['id'], r['ev_plan'], r['state']) for r in records] == [
        (bought['id'], world.plan, 'running')]
    line, = world.admin.model('sale.subscription.line', 'read',
        records[0]['lines'], ['service', 'unit_price'])
    assert line['service'] == world.service
    assert Decimal(decimal_text(line['unit_price'])) == 990

    stopped = client.model(SUBSCRIPTION, 'ev_cancel_renewal', bought['id'])
    assert stopped['renews'] is False
    assert stopped['state'] == 'running'
    assert stopped['end_date'] is not None
    assert stopped['end_date'] == stopped['period_end']
    assert rpc_to_date(stopped['end_date']) >= rpc_to_date(
        bought['start_date'])
    record, = world.admin.model(SUBSCRIPTION, 'read', [bought['id']],
        ['end_date', 'ev_renews'])
    assert record['end_date'] == stopped['end_date']
    assert record['ev_renews'] is False
    # Until its period ends, the client has it still: not a second one.
    assert refusal(lambda: client.model(
            SUBSCRIPTION, 'ev_purchase', world.plan)) == (
        ALREADY_SUBSCRIBED % world.plan_name)
    assert len(world.admin.model(SUBSCRIPTION, 'search', [
                ('party', '=', client.party)], 0, None, None)) == 1


def test_client_only(world):
    "The administrator is no client: it redeems and buys nothing"
    code = world.promotion('admin')
    english = dict(world.admin.context, language='en')
    assert refusal(lambda: world.admin.call(
            'model.%s.redeem' % REDEMPTION, code, None, english)) == (
        'Only a client can use a promo code.')
    assert world.redemptions(code) == []
    assert refusal(lambda: world.admin.call(
            'model.%s.ev_purchase' % SUBSCRIPTION, world.plan, english)) == (
        'Only a client can buy a subscription.')


# Isolation


class Pair:
    """Two clients, each with a code applied to a session, a code waiting
    for its next session, a running subscription and its usage by the
    session; the second one charges at the moment"""

    def __init__(self, world):
        self.world = world
        self.clients = [world.client('side%s' % i) for i in range(2)]
        self.records = []
        for number, client in enumerate(self.clients):
            records = {}
            code = world.promotion('side%s' % number)
            records[REDEMPTION] = client.model(
                REDEMPTION, 'redeem', code, None)['id']
            records[SUBSCRIPTION] = client.model(
                SUBSCRIPTION, 'ev_purchase', world.plan)['id']
            # The code goes with the session; the plan's included energy
            # pays for it.
            session, ref = world.start(client, connector=number)
            world.stop(session, ref, 1000)
            usage = world.admin.model(USAGE, 'search_read', [
                    ('session', '=', session)], 0, None, None,
                ['subscription', 'energy_wh'])
            assert [(u['subscription'], u['energy_wh']) for u in usage] == [
                (records[SUBSCRIPTION], 1000)], usage
            records[USAGE] = usage[0]['id']
            use, = world.admin.model(REDEMPTION, 'read',
                [records[REDEMPTION]], ['state', 'session'])
            assert (use['state'], use['session']) == ('applied', session)
            self.records.append(records)
        # The second client charges right now.
        self.session, self.ref = world.start(self.clients[1], connector=2)
        # And each has a code waiting for its next session (redeemed after
        # the start, so that the session in progress does not take it).
        for number, client in enumerate(self.clients):
            self.records[number]['waiting'] = client.model(
                REDEMPTION, 'redeem', world.promotion('wait%s' % number),
                None)['id']

    def close(self):
        self.world.stop(self.session, self.ref, 500)


@pytest.fixture(scope='module')
def pair(world):
    pair = Pair(world)
    yield pair
    pair.close()


WRITE = {
    REDEMPTION: {'code': 'HACKED'},
    SUBSCRIPTION: {'description': 'HACKED'},
    USAGE: {'energy_wh': 0},
    }
FIELDS = {
    REDEMPTION: ['code', 'state', 'party', 'session'],
    SUBSCRIPTION: ['description', 'state', 'party', 'end_date'],
    USAGE: ['energy_wh', 'subscription', 'session'],
    }


@pytest.mark.parametrize('model', [REDEMPTION, SUBSCRIPTION, USAGE])
@pytest.mark.parametrize('number', [0, 1])
def test_client_reaches_own_records_only(world, pair, model, number):
    """A client reads its own code uses, subscriptions and usage; it
    cannot read, find, change nor delete the other client's"""
    client = pair.clients[number]
    own = pair.records[number][model]
    other = pair.records[1 - number][model]
    before = world.admin.model(model, 'read', [other], FIELDS[model])

    assert client.model(model, 'read', [own], ['id']) == [{'id': own}]
    found = client.model(model, 'search', [], 0, None, None)
    assert own in found and other not in found
    assert client.model(model, 'search',
        [('id', '=', other)], 0, None, None) == []
    assert client.model(model, 'search_count',
        [('id', '=', other)], 0, None) == 0
    for method, args in [
            ('read', ([other], ['id'])),
            ('write', ([other], WRITE[model])),
            ('delete', ([other],)),
            ]:
        with pytest.raises(RPCError) as info:
            client.model(model, method, *args)
        assert_access_error(info.value.error)
    # Its own ones, the client does not change either.
    for method, args in [
            ('write', ([own], WRITE[model])),
            ('delete', ([own],)),
            ]:
        with pytest.raises(RPCError) as info:
            client.model(model, method, *args)
        assert_access_error(info.value.error)
    assert world.admin.model(model, 'read', [other], FIELDS[model]) == before


@pytest.mark.parametrize('number', [0, 1])
def test_client_api_other_records(world, pair, number):
    """Through the client API neither: the other client's codes and
    subscriptions are not listed, given back nor stopped"""
    client = pair.clients[number]
    other = pair.records[1 - number]
    codes = client.model(REDEMPTION, 'my_codes')
    assert {c['id'] for c in codes} == {
        pair.records[number][REDEMPTION], pair.records[number]['waiting']}
    subscriptions = client.model(SUBSCRIPTION, 'ev_my_subscriptions')
    assert [s['id'] for s in subscriptions] == [
        pair.records[number][SUBSCRIPTION]]

    assert refusal(lambda: client.model(
            REDEMPTION, 'withdraw', other['waiting'])) == NOT_WITHDRAWABLE
    assert world.admin.model(REDEMPTION, 'read', [other['waiting']],
        ['state'])[0]['state'] == 'reserved'
    assert refusal(lambda: client.model(
            SUBSCRIPTION, 'ev_cancel_renewal', other[SUBSCRIPTION])) == (
        NOT_RUNNING)
    record, = world.admin.model(SUBSCRIPTION, 'read',
        [other[SUBSCRIPTION]], ['end_date', 'ev_renews'])
    assert (record['end_date'], record['ev_renews']) == (None, True)


def test_redeem_on_other_client_session(world, pair):
    """A client cannot put a code on another client's session in progress;
    the owner can"""
    intruder, owner = pair.clients
    code = world.promotion('intrude')
    assert refusal(lambda: intruder.model(
            REDEMPTION, 'redeem', code, pair.session)) == NOT_YOUR_SESSION
    assert world.redemptions(code) == []
    assert world.admin.model(REDEMPTION, 'search', [
            ('session', '=', pair.session)], 0, None, None) == []

    use = owner.model(REDEMPTION, 'redeem', code, pair.session)
    assert use['session'] == pair.session
    assert [(u['party'], u['session']) for u in world.redemptions(code)] == [
        (owner.party, pair.session)]


@pytest.mark.parametrize('model', [
        'sale.promotion', 'sale.promotion.coupon',
        'sale.promotion.coupon.number'])
def test_client_no_promotions(world, model):
    """A client reads no promotion, coupon nor code number: it learns of a
    code only by typing it"""
    client = world.client('nopromo-%s' % model.count('.'))
    world.promotion('hidden')
    records = world.admin.model(model, 'search', [], 0, None, None)
    assert records
    assert client.model(model, 'search', [], 0, None, None) == []
    assert client.model(model, 'search_count', [], 0, None) == 0
    with pytest.raises(RPCError) as info:
        client.model(model, 'read', records[:1], ['id'])
    assert_access_error(info.value.error)
