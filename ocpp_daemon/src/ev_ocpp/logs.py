# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"JSON-line logs"
import datetime as dt
import json
import logging

# Fields a record may carry through `extra=`; they become JSON keys.
CONTEXT = ('cp_id', 'ocpp_version', 'action', 'unique_id', 'command',
    'outcome', 'duration_ms')


class JSONFormatter(logging.Formatter):

    def format(self, record):
        entry = {
            'time': dt.datetime.fromtimestamp(
                record.created, dt.timezone.utc).isoformat(
                timespec='milliseconds'),
            'level': record.levelname,
            'logger': record.name,
            'message': record.getMessage(),
            }
        for name in CONTEXT:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry['exception'] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level='INFO'):
    handler = logging.StreamHandler()
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The library logs every raw frame, id tags included, at INFO.
    logging.getLogger('ocpp').setLevel(logging.WARNING)
    logging.getLogger('websockets').setLevel(logging.WARNING)
    logging.getLogger('urllib3').setLevel(logging.WARNING)
