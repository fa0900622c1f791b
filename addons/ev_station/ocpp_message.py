# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import json

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.modelsql import SQLConstraintError
from trytond.modules.ev_partner.tools import utcnow

from .exceptions import ConcurrentInsertError


def dumps(value):
    "Return value as the JSON text the messages store"
    return json.dumps(value, sort_keys=True, default=str)


class Message(ModelSQL, ModelView):
    __name__ = 'ev.ocpp.message'
    __string__ = "EV OCPP Message"
    _rec_name = 'key'

    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='CASCADE',
        readonly=True)
    key = fields.Char(
        "Key", required=True, readonly=True, strip=False,
        help="The idempotency key the OCPP daemon gave the message.")
    action = fields.Char(
        "Action", readonly=True,
        help="The facade method that received the message.")
    received_at = fields.DateTime("Received at", readonly=True)
    payload = fields.Text(
        "Payload", readonly=True,
        help="The arguments of the call, as JSON.")
    result = fields.Text(
        "Result", readonly=True,
        help="The answer stored for replays, as JSON.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('station')
        t = cls.__table__()
        cls._sql_constraints += [
            ('station_key_unique', Unique(t, t.station, t.key),
                'ev_station.msg_ocpp_message_key_unique'),
            ]
        cls._sql_indexes.add(
            Index(t,
                (t.station, Index.Range()),
                (t.received_at, Index.Range(order='DESC'))))
        cls._order = [('received_at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_received_at(cls):
        return utcnow()

    @property
    def result_value(self):
        "The stored result, decoded"
        return json.loads(self.result) if self.result else None

    @classmethod
    def claim(cls, station, key, action, payload):
        """Return the message of the station for key and whether it is new

        A new message is stored at once, before the work it records, so
        that a concurrent call with the same key waits on the unique index
        and then starts again instead of doing the work twice.
        """
        messages = cls.search([
                ('station', '=', station.id),
                ('key', '=', key),
                ], limit=1)
        if messages:
            message, = messages
            return message, False
        message = cls(
            station=station, key=key, action=action,
            received_at=utcnow(), payload=dumps(payload))
        try:
            message.save()
        except SQLConstraintError as exception:
            raise ConcurrentInsertError() from exception
        return message, True

    def store(self, result):
        "Store result as the answer to replays of the message"
        self.result = dumps(result)
        self.save()
