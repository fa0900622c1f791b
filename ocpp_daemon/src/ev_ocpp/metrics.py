# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Prometheus metrics, served on their own loopback port"
from prometheus_client import (
    CollectorRegistry, Counter, Gauge, Histogram, start_http_server)

REGISTRY = CollectorRegistry()

MESSAGES = Counter(
    'ev_ocpp_messages', "OCPP messages by version, action, direction and "
    "outcome", ['version', 'action', 'direction', 'outcome'],
    registry=REGISTRY)
CONNECTED = Gauge(
    'ev_ocpp_connected', "Chargers connected to this daemon",
    registry=REGISTRY)
OUTBOX_DEPTH = Gauge(
    'ev_ocpp_outbox_depth', "Messages waiting for delivery to Tryton",
    registry=REGISTRY)
BACKEND_SECONDS = Histogram(
    'ev_ocpp_backend_seconds', "Latency of the calls to Tryton",
    ['method'], registry=REGISTRY,
    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
REFUSED = Counter(
    'ev_ocpp_refused_connections', "Connections refused, by reason",
    ['reason'], registry=REGISTRY)


def serve(port, host='127.0.0.1'):
    "Start the metrics endpoint; port 0 means no endpoint"
    if port:
        start_http_server(port, addr=host, registry=REGISTRY)
