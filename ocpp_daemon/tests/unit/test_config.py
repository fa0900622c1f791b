# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import pytest

from ev_ocpp.config import Config, ConfigError


def test_file_then_environment(tmp_path):
    "The environment overrides the file; a password file stays secret"
    conf = tmp_path / 'ocpp.conf'
    conf.write_text('[ocpp]\nport = 9100\ndatabase = prod\n')
    secret = tmp_path / 'secret'
    secret.write_text('s3cret\n')
    config = Config.load(str(conf), {
            'EV_OCPP_PORT': '9200', 'EV_OCPP_PASSWORD_FILE': str(secret)})
    assert (config.port, config.database) == (9200, 'prod')
    assert config.password == 's3cret'
    assert 's3cret' not in repr(config)


@pytest.mark.parametrize('values', [
        {'EV_OCPP_PORT': 'x'}, {'EV_OCPP_DEFAULT_SUBPROTOCOL': 'ocpp2.1'},
        {'EV_OCPP_TLS_CERT': 'cert.pem'}, {'EV_OCPP_OUTBOX_SYNC': 'off'}])
def test_invalid(values):
    with pytest.raises(ConfigError):
        Config.load(None, values)
