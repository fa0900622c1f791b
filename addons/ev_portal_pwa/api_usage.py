# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""How a station is used: its busy hours ("popular times") and its sessions
and energy of the last days, for anyone, in aggregate only

busy[weekday][hour] is the share of the station's connectors in use during
that local hour of the week (Monday first), averaged over the last WEEKS
weeks: the connector-seconds of the sessions in the hour divided by the
number of connectors times the hour's seconds in the window. The window is
the WEEKS * 7 * 24 whole local hours before the current one, so that each
hour of the week is in it WEEKS times. A session still running is in use
until now. "daily" counts the sessions by their local start date over the
last DAYS days, today included."""
import bisect
import datetime as dt

from sql import Null

from trytond.modules.ev_partner.tools import utcnow
from trytond.tools import timezone as tz
from trytond.transaction import Transaction, without_check_access

from .exceptions import NotFoundError
from .routes import api, as_client, error, json_response

WEEKS = 8
DAYS = 30
# The sessions that charged, ended or not; failed ones never held a car.
STATES = ['active', 'finished']
# How long before the window a session may have started and still count: it
# bounds the query (start_at is indexed) and leaves out the sessions a lost
# charger never closed.
LOOKBACK = dt.timedelta(days=7)
CACHE_CONTROL = 'public, max-age=300'
HOUR = dt.timedelta(hours=1)


def station_timezone(station):
    "Return the name of the time zone of the station, or of its company"
    name = station.timezone or (
        station.company.timezone if station.company else None)
    return name if name in tz.available_timezones() else 'UTC'


def hour_boundaries(now, zone, weeks):
    """Return the UTC boundaries of the local hours of the window, and the
    (weekday, hour) of each of those hours"""
    local = now.replace(tzinfo=tz.UTC).astimezone(zone)
    end = local.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    start = end - dt.timedelta(days=7 * weeks)
    walls = [start + i * HOUR for i in range(7 * weeks * 24 + 1)]
    # A wall-clock time that a change of offset skips or repeats maps to
    # one instant (fold 0): that hour lasts 0 or 2 hours.
    boundaries = [w.replace(tzinfo=zone).astimezone(tz.UTC).replace(
            tzinfo=None) for w in walls]
    slots = [(w.weekday(), w.hour) for w in walls[:-1]]
    return boundaries, slots


def busy_shares(sessions, now, zone, weeks, connectors):
    "Return the 7 x 24 shares of the connectors in use"
    boundaries, slots = hour_boundaries(now, zone, weeks)
    first, last = boundaries[0], boundaries[-1]
    used = [[0.0] * 24 for _ in range(7)]
    length = [[0.0] * 24 for _ in range(7)]
    for i, (day, hour) in enumerate(slots):
        length[day][hour] += (
            boundaries[i + 1] - boundaries[i]).total_seconds()
    for start, stop, _ in sessions:
        start, stop = max(start, first), min(stop or now, last)
        if start >= stop:
            continue
        i = bisect.bisect_right(boundaries, start) - 1
        while i < len(slots) and boundaries[i] < stop:
            seconds = (min(stop, boundaries[i + 1])
                - max(start, boundaries[i])).total_seconds()
            if seconds > 0:
                day, hour = slots[i]
                used[day][hour] += seconds
            i += 1
    return [[round(min(1, used[d][h] / (connectors * length[d][h])), 4)
            if connectors and length[d][h] else 0.0
            for h in range(24)] for d in range(7)]


def daily_totals(sessions, now, zone, days):
    "Return the sessions and energy of each of the last days, oldest first"
    today = now.replace(tzinfo=tz.UTC).astimezone(zone).date()
    dates = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    totals = {d: [0, 0] for d in dates}
    for start, _, energy_wh in sessions:
        date = start.replace(tzinfo=tz.UTC).astimezone(zone).date()
        if date in totals:
            totals[date][0] += 1
            totals[date][1] += energy_wh or 0
    return [{
            'date': d.isoformat(),
            'sessions': totals[d][0],
            'energy_wh': totals[d][1],
            } for d in dates]


def window_sessions(pool, station_id, since, now):
    """Return (start_at, stop_at, energy_wh) of the station's sessions that
    charged between since and now"""
    Session = pool.get('ev.session')
    session = Session.__table__()
    transaction = Transaction()
    # ev.session is none of EV Client's business (its record rules show a
    # client only its own sessions): the figures of everyone's sessions are
    # read as root, bypassing the rules, and only their sums leave this
    # function. Nothing that names a client or a session is selected.
    with transaction.set_user(0), without_check_access():
        cursor = transaction.connection.cursor()
        cursor.execute(*session.select(
                session.start_at, session.stop_at, session.energy_wh,
                where=(session.station == station_id)
                & session.state.in_(STATES)
                & (session.start_at != Null)
                & (session.start_at >= since - LOOKBACK)
                & (session.start_at < now)
                & ((session.stop_at == Null) | (session.stop_at > since))))
        return [(start, stop, energy_wh)
            for start, stop, energy_wh in cursor]


@api('stations/<int:station_id>/usage')
def station_usage(request, pool, user, station_id):
    "The busy hours of a station and its sessions and energy of late"
    Station = pool.get('ev.station')
    # The station as the clients see it: unknown or not public is a 404.
    with as_client(pool, user):
        stations = Station.search([('id', '=', station_id)], limit=1)
        if not stations:
            raise error(NotFoundError, 'msg_station_not_found')
        station, = stations
        connectors = len(station.connectors)
        timezone = station_timezone(station)
    zone = tz.ZoneInfo(timezone)
    now = utcnow()
    boundaries, _ = hour_boundaries(now, zone, WEEKS)
    since = min(boundaries[0], now - dt.timedelta(days=DAYS + 1))
    sessions = window_sessions(pool, station_id, since, now)
    daily = daily_totals(sessions, now, zone, DAYS)
    response = json_response({
            'station': station_id,
            'weeks': WEEKS,
            'timezone': timezone,
            'busy': busy_shares(sessions, now, zone, WEEKS, connectors),
            'sessions_30d': sum(d['sessions'] for d in daily),
            'energy_wh_30d': sum(d['energy_wh'] for d in daily),
            'daily': daily,
            })
    # Aggregates of everyone: the same for every client, and slow to move.
    response.headers['Cache-Control'] = CACHE_CONTROL
    return response
