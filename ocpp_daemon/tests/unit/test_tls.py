# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"OCPP security profile 2: the daemon serves wss:// when configured"
import asyncio
import ssl
import subprocess

import pytest
from websockets.asyncio.client import connect

from .fake import basic, daemon, exchange


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048',
            '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
            '-addext', 'subjectAltName=IP:127.0.0.1',
            '-keyout', str(key), '-out', str(cert)],
        check=True, capture_output=True)
    return str(cert), str(key)


def test_wss(tmp_path, certificate):
    "A charger that trusts the certificate talks OCPP over TLS"
    cert, key = certificate

    async def scenario():
        async with daemon(tmp_path, tls_cert=cert, tls_key=key) as (
                app, url):
            url = url.replace('ws://', 'wss://')
            context = ssl.create_default_context(cafile=cert)
            async with connect(url + 'CP1', subprotocols=['ocpp1.6'],
                    additional_headers=basic('CP1'), ssl=context) as ws:
                answer = await exchange(ws, [2, 'h', 'Heartbeat', {}])
                assert answer[:2] == [3, 'h']
                assert ws.transport.get_extra_info('ssl_object').version() \
                    in {'TLSv1.2', 'TLSv1.3'}
            # Plain websockets get no OCPP on a TLS port.
            with pytest.raises(Exception):
                async with connect(url.replace('wss://', 'ws://') + 'CP1',
                        subprotocols=['ocpp1.6'],
                        additional_headers=basic('CP1'), open_timeout=3):
                    pass
    asyncio.run(scenario())
