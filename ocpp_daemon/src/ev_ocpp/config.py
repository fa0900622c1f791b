# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"The daemon's settings, from an INI file and EV_OCPP_* variables"
import configparser
import dataclasses
import os
import socket

SUBPROTOCOLS = ('ocpp2.0.1', 'ocpp1.6')


class ConfigError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Config:
    host: str = '127.0.0.1'
    port: int = 9000
    # Names this process to Tryton, which routes a station's commands to the
    # daemon that holds its connection.
    daemon: str = ''
    tryton_url: str = 'http://127.0.0.1:8000'
    database: str = 'demo'
    user: str = 'ocpp'
    password: str = dataclasses.field(default='', repr=False)
    backend_timeout: float = 10.0
    backend_workers: int = 8
    # Served to a charger that offers no subprotocol (OCPP-J §3.1.2 makes
    # the header mandatory, but some chargers in the field omit it).
    default_subprotocol: str = 'ocpp1.6'
    tls_cert: str = ''
    tls_key: str = ''
    outbox_path: str = 'var/ocpp-outbox.sqlite'
    # 'full' survives a power loss, 'normal' only a process crash.
    outbox_sync: str = 'full'
    max_message_size: int = 65536
    rate_limit: float = 20.0
    rate_burst: int = 60
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    command_poll_interval: float = 0.25
    command_timeout: float = 30.0
    # How often Tryton hears which chargers were alive, in one call: last
    # seen needs no more, and a call per heartbeat would crowd Tryton.
    seen_interval: float = 15.0
    authorize_cache_ttl: float = 3600.0
    # Seconds an acceptance answers the same station's StartTransaction
    # (or 2.0.1 Started) without asking Tryton again; 0 always asks.
    authorize_fresh: float = 60.0
    # What a tag gets when Tryton cannot be asked and the cache does not
    # know it: 'reject' is safe, 'accept' keeps drivers charging.
    offline_authorize: str = 'reject'
    transaction_id_block: int = 1000
    shutdown_timeout: float = 10.0
    metrics_port: int = 0
    # Metrics stay on loopback unless asked: they are not for the chargers.
    metrics_host: str = '127.0.0.1'
    log_level: str = 'INFO'

    def __post_init__(self):
        if not self.daemon:
            object.__setattr__(
                self, 'daemon', '%s:%s' % (socket.gethostname(), self.port))
        if self.default_subprotocol not in SUBPROTOCOLS:
            raise ConfigError(
                'default_subprotocol must be one of %s' % (SUBPROTOCOLS,))
        if self.outbox_sync not in {'full', 'normal'}:
            raise ConfigError('outbox_sync must be full or normal')
        if self.offline_authorize not in {'accept', 'reject'}:
            raise ConfigError('offline_authorize must be accept or reject')
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError('tls_cert and tls_key go together')
        for name in ['port', 'max_message_size', 'rate_burst',
                'transaction_id_block', 'backend_workers']:
            if getattr(self, name) <= 0:
                raise ConfigError('%s must be positive' % name)
        # The facade reserves at most 10,000 ids a call (docs/ocpp.md).
        if self.transaction_id_block > 10_000:
            raise ConfigError('transaction_id_block is at most 10000')

    @property
    def tls(self):
        return bool(self.tls_cert)

    @classmethod
    def load(cls, path=None, environ=None):
        "Return the configuration of the file at path, overridden by environ"
        environ = os.environ if environ is None else environ
        values = {}
        path = path or environ.get('EV_OCPP_CONFIG')
        if path:
            parser = configparser.ConfigParser()
            if not parser.read(path):
                raise ConfigError('cannot read %s' % path)
            if parser.has_section('ocpp'):
                values.update(parser.items('ocpp'))
        for field in dataclasses.fields(cls):
            name = 'EV_OCPP_' + field.name.upper()
            if name in environ:
                values[field.name] = environ[name]
        # A password file keeps the secret out of the environment and of
        # the process list.
        password_file = environ.get('EV_OCPP_PASSWORD_FILE') or values.pop(
            'password_file', None)
        values.pop('password_file', None)
        if password_file and not values.get('password'):
            with open(password_file) as fp:
                values['password'] = fp.read().strip()
        return cls(**cls._convert(values))

    @classmethod
    def _convert(cls, values):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        result = {}
        for name, value in values.items():
            if name not in fields:
                raise ConfigError('unknown setting %s' % name)
            type_ = fields[name].type
            try:
                if type_ in {'int', int}:
                    value = int(value)
                elif type_ in {'float', float}:
                    value = float(value)
            except ValueError:
                raise ConfigError('%s must be a number' % name)
            result[name] = value
        return result
