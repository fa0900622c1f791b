# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import argparse
import logging

from . import serve


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m trytond.modules.ev_billing.sandbox',
        description="Stripe-compatible sandbox card acquirer")
    parser.add_argument('--listen', default='127.0.0.1:8010',
        help="host:port to listen on (default %(default)s)")
    parser.add_argument('--db', default='var/sandbox.sqlite',
        help="SQLite file holding the sandbox state, or :memory:")
    parser.add_argument('--public-url', default=None,
        help="URL browsers reach the sandbox at (default: the request's)")
    parser.add_argument('--retry-delays', default='60,300,1800,7200',
        help="seconds between webhook attempts (default %(default)s)")
    parser.add_argument('--webhook-timeout', type=float, default=10,
        help="seconds to wait for a webhook answer")
    parser.add_argument('--async-delay', type=float, default=5,
        help="seconds before refund failures and disputes happen")
    parser.add_argument('--poll', type=float, default=1,
        help="seconds between two looks at the webhook queue")
    parser.add_argument('-v', '--verbose', action='store_true')
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    delays = [float(d) for d in args.retry_delays.split(',') if d.strip()]
    sandbox = serve(args.listen, args.db, args.public_url, delays,
        args.webhook_timeout, args.poll, args.async_delay, start=False)
    print("Stripe sandbox on %s (state: %s)" % (sandbox.url, args.db),
        flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.server.server_close()
        sandbox.store.close()


if __name__ == '__main__':
    main()
