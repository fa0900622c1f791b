# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Register the demo card account's webhook at the sandbox acquirer, as
finance would with the Register Webhook button: the acquirer then pushes
its events to trytond instead of trytond-cron pulling them

    python demo/webhook.py URL DATABASE PASSWORD_FILE

Run by scripts/demo.sh once trytond and the sandbox are up; registering
again keeps a live endpoint (the sandbox's store may have been reset)."""
import base64
import sys
import time

import requests

SANDBOX_KEY = 'sk_sandbox_demo'


def main(url, database, password_file):
    with open(password_file) as fp:
        password = fp.read().strip()
    rpc = '%s/%s/rpc/' % (url.rstrip('/'), database)
    http = requests.Session()

    def call(method, *params):
        response = http.post(rpc, json={
                'id': 0, 'method': method, 'params': params}, timeout=30)
        response.raise_for_status()
        result = response.json()
        if 'error' in result:
            raise RuntimeError(result['error'])
        return result['result']

    user_id, session, _ = call(
        'common.db.login', 'admin', {'password': password}, 'en')
    http.headers['Authorization'] = 'Session ' + base64.b64encode(
        ('admin:%s:%s' % (user_id, session)).encode()).decode()
    context = call('model.res.user.get_preferences', True, {})
    ids = call('model.account.payment.stripe.account.search',
        [('secret_key', '=', SANDBOX_KEY)], 0, None, None, context)
    if not ids:
        return
    for attempt in range(20):
        try:
            call('model.account.payment.stripe.account.ev_register_webhook',
                ids, context)
            break
        except RuntimeError:
            # The sandbox may still be starting.
            if attempt == 19:
                raise
            time.sleep(0.5)
    account, = call('model.account.payment.stripe.account.read',
        ids, ['webhook_endpoint'], context)
    print("demo: the sandbox acquirer pushes its events to %s"
        % account['webhook_endpoint'])


if __name__ == '__main__':
    main(*sys.argv[1:4])
