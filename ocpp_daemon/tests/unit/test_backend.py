# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Which answers of Tryton the daemon retries and which it gives up on"
import asyncio
import http.server
import json
import threading

import pytest

from ev_ocpp.backend.client import (
    Backend, BackendRejected, BackendUnavailable)
from ev_ocpp.config import Config


class Tryton(http.server.BaseHTTPRequestHandler):
    "Answers login, then whatever the test put in `answer`"
    answer = (200, {'result': {}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        if body['method'] == 'common.db.login':
            status, payload = 200, {'result': [1, 'session', None]}
        else:
            status, payload = self.answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def tryton():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Tryton)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.parametrize('status,payload,error', [
        (200, {'result': {'ok': 1}}, None),
        (200, {'error': ['UserError', ['refused', '', None]]},
            BackendRejected),
        (200, {'error': ['division by zero', 'Traceback ...']},
            BackendUnavailable),
        (404, {}, BackendUnavailable),
        (503, {}, BackendUnavailable),
        ])
def test_answers(tryton, status, payload, error):
    Tryton.answer = (status, payload)
    backend = Backend(Config(tryton_url='http://127.0.0.1:%s'
            % tryton.server_port, database='db'))
    try:
        if error is None:
            assert asyncio.run(backend.call('heartbeat', 'CP1')) == {'ok': 1}
        else:
            with pytest.raises(error):
                asyncio.run(backend.call('heartbeat', 'CP1'))
    finally:
        backend.close()
