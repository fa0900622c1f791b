# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Id


class Configuration(metaclass=PoolMeta):
    __name__ = 'ev.configuration'

    session_sequence = fields.Many2One(
        'ir.sequence', "Session Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('ev_station', 'sequence_type_session')),
            ])
    unknown_station = fields.Selection([
            ('refuse', "Refuse"),
            ('pending', "Register as Pending"),
            ], "Unknown Stations", required=True,
        help="What happens when a charger with an identity the platform "
        "does not know connects.")
    heartbeat_interval = fields.Integer(
        "Heartbeat Interval (s)", required=True,
        domain=[('heartbeat_interval', '>', 0)],
        help="The interval chargers are told to send heartbeats at.")
    offline_timeout = fields.Integer(
        "Offline after (s)", required=True,
        domain=[('offline_timeout', '>', 0)],
        help="A station not heard from for this long counts as offline.")
    ocpp_transaction_sequence = fields.Many2One(
        'ir.sequence.strict', "OCPP Transaction Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('ev_station', 'sequence_type_ocpp_transaction')),
            ],
        help="Hands out the transaction ids of OCPP 1.6 chargers to the "
        "OCPP daemons.")
    default_connector_type = fields.Many2One(
        'ev.connector.type', "Default Connector Type", required=True,
        help="The type given to a connector that a charger reports and the "
        "platform does not know.")
    command_timeout = fields.Integer(
        "Command Timeout (s)", required=True,
        domain=[('command_timeout', '>', 0)],
        help="A command the charger has not answered by then is timed out.")
    offline_alert_after = fields.Integer(
        "Offline Alert after (s)", required=True,
        domain=[('offline_alert_after', '>', 0)],
        help="A connected station offline for this long gets a message in "
        "the message centre.")

    @classmethod
    def default_session_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('ev_station', 'sequence_session')
        except KeyError:
            return None

    @classmethod
    def default_ocpp_transaction_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('ev_station', 'sequence_ocpp_transaction')
        except KeyError:
            return None

    @classmethod
    def default_default_connector_type(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('ev_station', 'connector_type_type2')
        except KeyError:
            return None

    @classmethod
    def default_unknown_station(cls):
        return 'refuse'

    @classmethod
    def default_heartbeat_interval(cls):
        return 300

    @classmethod
    def default_offline_timeout(cls):
        return 900

    @classmethod
    def default_command_timeout(cls):
        return 60

    @classmethod
    def default_offline_alert_after(cls):
        return 300
