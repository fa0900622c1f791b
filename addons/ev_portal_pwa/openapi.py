# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"The OpenAPI 3.1 document of the client API, served as openapi.json"
import copy


def ref(name):
    return {'$ref': '#/components/schemas/%s' % name}


def body(schema):
    return {
        'required': True,
        'content': {'application/json': {'schema': schema}},
        }


def json_content(schema, description):
    return {
        'description': description,
        'content': {'application/json': {'schema': schema}},
        }


def error(description):
    return {'$ref': '#/components/responses/%s' % description}


NO_CONTENT = {'description': "Done; no body."}
CSRF = [{'csrfHeader': [], 'csrfCookie': []}]
SESSION = [{'session': []}]
SESSION_CSRF = [{'session': [], 'csrfHeader': [], 'csrfCookie': []}]
PUBLIC = [{}]
LANGUAGE = {'type': 'string', 'enum': ['ru', 'en']}
MONEY = {'type': 'string', 'pattern': r'^-?\d+(\.\d+)?$',
    'description': "A decimal amount, as text."}
LAT_LON = [
    {'name': 'lat', 'in': 'query', 'required': False,
        'schema': {'type': 'number', 'minimum': -90, 'maximum': 90},
        'description': "The device's latitude; with lon."},
    {'name': 'lon', 'in': 'query', 'required': False,
        'schema': {'type': 'number', 'minimum': -180, 'maximum': 180},
        'description': "The device's longitude; with lat."},
    ]

SCHEMAS = {
    'Error': {
        'type': 'object',
        'required': ['error'],
        'properties': {
            'error': {
                'type': 'object',
                'required': ['code', 'message'],
                'properties': {
                    'code': {'type': 'string', 'description':
                        "The message id (msg_...) or the kind of error."},
                    'message': {'type': 'string', 'description':
                        "The text to show, in the client's language."},
                    },
                },
            },
        },
    'Config': {
        'type': 'object',
        'required': ['tile_url', 'tile_attribution', 'languages',
            'default_language'],
        'properties': {
            'tile_url': {'type': 'string', 'examples': [
                    'https://tile.openstreetmap.org/{z}/{x}/{y}.png']},
            'tile_attribution': {'type': 'string'},
            'languages': {'type': 'array', 'items': LANGUAGE},
            'default_language': LANGUAGE,
            },
        },
    'Register': {
        'type': 'object',
        'required': ['email', 'password', 'name'],
        'properties': {
            'email': {'type': 'string', 'format': 'email'},
            'password': {'type': 'string'},
            'name': {'type': 'string', 'maxLength': 200},
            'language': LANGUAGE,
            },
        },
    'Confirm': {
        'type': 'object',
        'required': ['token'],
        'properties': {'token': {'type': 'string'}},
        },
    'Login': {
        'type': 'object',
        'required': ['email', 'password'],
        'properties': {
            'email': {'type': 'string', 'format': 'email'},
            'password': {'type': 'string'},
            },
        },
    'Reset': {
        'type': 'object',
        'required': ['email'],
        'properties': {'email': {'type': 'string', 'format': 'email'}},
        },
    'Password': {
        'type': 'object',
        'required': ['email', 'token', 'password'],
        'properties': {
            'email': {'type': 'string', 'format': 'email'},
            'token': {'type': 'string'},
            'password': {'type': 'string'},
            },
        },
    'Profile': {
        'type': 'object',
        'required': ['email', 'name', 'phone', 'language', 'theme',
            'sounds', 'notify_system'],
        'properties': {
            'email': {'type': 'string', 'format': 'email'},
            'name': {'type': 'string'},
            'phone': {'type': ['string', 'null']},
            'language': LANGUAGE,
            'theme': {'type': 'string', 'enum': ['light', 'dark']},
            'sounds': {'type': 'boolean'},
            'notify_system': {'type': 'boolean', 'description':
                "Show the notifications as the device's own too."},
            },
        },
    'ProfilePatch': {
        'type': 'object',
        'description': "Any of the fields; others are ignored.",
        'properties': {
            'name': {'type': 'string', 'minLength': 1, 'maxLength': 200},
            'phone': {'type': ['string', 'null'], 'maxLength': 200},
            'language': LANGUAGE,
            'theme': {'type': 'string', 'enum': ['light', 'dark']},
            'sounds': {'type': 'boolean'},
            'notify_system': {'type': 'boolean'},
            },
        },
    'Connector': {
        'type': 'object',
        'required': ['id', 'number', 'type', 'power_w', 'status'],
        'properties': {
            'id': {'type': 'integer'},
            'number': {'type': 'integer'},
            'type': {'type': 'string', 'description':
                "The code of the connector type, e.g. type2, ccs2."},
            'type_name': {'type': 'string'},
            'current': {'type': 'string', 'enum': ['ac', 'dc']},
            'power_w': {'type': 'integer'},
            'status': {'type': 'string', 'enum': ['unknown', 'available',
                    'preparing', 'charging', 'suspended_ev',
                    'suspended_evse', 'finishing', 'occupied', 'reserved',
                    'unavailable', 'faulted'],
                'description': "unknown while the station is offline."},
            },
        },
    'Station': {
        'type': 'object',
        'required': ['id', 'name', 'address', 'latitude', 'longitude',
            'partner', 'status', 'opening_hours', 'connectors'],
        'properties': {
            'id': {'type': 'integer'},
            'name': {'type': 'string'},
            'address': {'type': 'string'},
            'latitude': {'type': ['number', 'null']},
            'longitude': {'type': ['number', 'null']},
            'partner': {'type': ['string', 'null']},
            'status': {'type': 'string',
                'enum': ['available', 'occupied', 'unavailable', 'offline']},
            'opening_hours': {'type': ['string', 'null']},
            'distance_m': {'type': ['integer', 'null'], 'description':
                "Only when lat and lon are given; null without position."},
            'connectors': {'type': 'array', 'items': ref('Connector')},
            },
        },
    'QuoteLine': {
        'type': 'object',
        'properties': {
            'kind': {'type': 'string'},
            'label': {'type': 'string'},
            'band': {'type': ['string', 'null']},
            'quantity': {'type': ['string', 'integer', 'number']},
            'unit': {'type': 'string'},
            'unit_label': {'type': 'string'},
            'unit_price': MONEY,
            'amount': MONEY,
            'source': {'type': ['string', 'null']},
            },
        },
    'Quote': {
        'type': 'object',
        'required': ['connector', 'tariff'],
        'description': "The price of the session on a connector, as "
        "ev_tariff quotes it for the client (tariff null: none applies).",
        'properties': {
            'connector': {'type': 'integer'},
            'tariff': {'type': ['integer', 'null']},
            'tariff_name': {'type': 'string'},
            'tariff_version': {'type': ['integer', 'string', 'null']},
            'currency': {'type': 'string'},
            'lines': {'type': 'array', 'items': ref('QuoteLine')},
            'net': MONEY,
            'tax': MONEY,
            'total': MONEY,
            },
        },
    'StationDetail': {
        'allOf': [ref('Station'), {
                'type': 'object',
                'required': ['price'],
                'properties': {
                    'price': {
                        'type': ['object', 'null'],
                        'description': "null unless logged in.",
                        'properties': {
                            'energy_wh': {'type': 'integer'},
                            'minutes': {'type': 'integer'},
                            'connectors': {
                                'type': 'array', 'items': ref('Quote')},
                            },
                        },
                    },
                }],
        },
    'Account': {
        'type': 'object',
        'required': ['currency', 'balance', 'available', 'payment_method',
            'card_saved', 'payments', 'invoices'],
        'properties': {
            'currency': {'type': ['string', 'null']},
            'balance': MONEY,
            'available': MONEY,
            'payment_method': {'type': 'string',
                'enum': ['balance', 'card']},
            'card_saved': {'type': 'boolean'},
            'card': {'description': "The saved card: its brand and last "
                "four digits.", 'oneOf': [{'type': 'object', 'properties': {
                            'brand': {'type': ['string', 'null']},
                            'last4': {'type': 'string'}}},
                    {'type': 'null'}]},
            'payments': {'type': 'array', 'items': {
                    'type': 'object',
                    'properties': {
                        'id': {'type': 'integer'},
                        'date': {'type': ['string', 'null'],
                            'format': 'date'},
                        'kind': {'type': 'string',
                            'enum': ['topup', 'session', 'payout']},
                        'amount': MONEY,
                        'state': {'type': 'string'},
                        'session': {'type': ['integer', 'null']},
                        },
                    }},
            'invoices': {'type': 'array', 'items': {
                    'type': 'object',
                    'properties': {
                        'id': {'type': 'integer'},
                        'number': {'type': ['string', 'null']},
                        'date': {'type': ['string', 'null'],
                            'format': 'date'},
                        'total': MONEY,
                        'tax': MONEY,
                        'state': {'type': 'string'},
                        'sessions': {'type': 'array',
                            'items': {'type': 'integer'}},
                        },
                    }},
            },
        },
    }

RESPONSES = {
    'BadRequest': json_content(ref('Error'), "Bad input."),
    'NotLoggedIn': json_content(ref('Error'), "Not logged in."),
    'Forbidden': json_content(ref('Error'),
        "The CSRF header does not repeat the ev_csrf cookie (code "
        "msg_api_csrf), or the account may not do it."),
    'NotFound': json_content(ref('Error'), "Not found."),
    'TooManyRequests': json_content(ref('Error'),
        "Too many attempts from this address or for this account."),
    }

PATHS = {
    '/config': {'get': {
            'operationId': 'getConfig',
            'summary': "The map's tile server and the languages",
            'security': PUBLIC,
            'responses': {
                '200': json_content(ref('Config'), "The configuration."),
                },
            }},
    '/openapi.json': {'get': {
            'operationId': 'getOpenApi',
            'summary': "This document",
            'security': PUBLIC,
            'responses': {'200': {
                    'description': "The OpenAPI document.",
                    'content': {'application/json': {
                            'schema': {'type': 'object'}}},
                    }},
            }},
    '/auth/register': {'post': {
            'operationId': 'register',
            'summary': "Create a client account and send the validation "
            "e-mail, whose link opens <app>#/confirm?token=...",
            'security': CSRF,
            'requestBody': body(ref('Register')),
            'responses': {
                '201': json_content({
                        'type': 'object',
                        'required': ['email'],
                        'properties': {'email': {'type': 'string'}},
                        }, "Registered; the e-mail is on its way."),
                '400': error('BadRequest'),
                '403': error('Forbidden'),
                '429': error('TooManyRequests'),
                },
            }},
    '/auth/confirm': {'post': {
            'operationId': 'confirm',
            'summary': "Confirm the e-mail address with the token of the "
            "validation e-mail",
            'security': CSRF,
            'requestBody': body(ref('Confirm')),
            'responses': {
                '200': json_content({
                        'type': 'object',
                        'required': ['email_valid'],
                        'properties': {'email_valid': {'const': True}},
                        }, "Confirmed."),
                '400': error('BadRequest'),
                '403': error('Forbidden'),
                },
            }},
    '/auth/login': {'post': {
            'operationId': 'login',
            'summary': "Open a session: sets the ev_session (HttpOnly) and "
            "ev_csrf cookies",
            'security': CSRF,
            'requestBody': body(ref('Login')),
            'responses': {
                '200': json_content({
                        'type': 'object',
                        'required': ['profile', 'csrf_token'],
                        'properties': {
                            'profile': ref('Profile'),
                            'csrf_token': {'type': 'string', 'description':
                                "The new value of the ev_csrf cookie."},
                            },
                        }, "Logged in."),
                '400': error('BadRequest'),
                '401': json_content(ref('Error'),
                    "Wrong e-mail or password (msg_login_invalid)."),
                '403': json_content(ref('Error'),
                    "The e-mail is not confirmed "
                    "(msg_login_email_unconfirmed), the account is no "
                    "client's, or the CSRF check failed."),
                '429': error('TooManyRequests'),
                },
            }},
    '/auth/logout': {'post': {
            'operationId': 'logout',
            'summary': "End the session",
            'security': CSRF,
            'responses': {'204': NO_CONTENT, '403': error('Forbidden')},
            }},
    '/auth/reset': {'post': {
            'operationId': 'resetPassword',
            'summary': "Send the password reset e-mail, whose link opens "
            "<app>#/reset?email=...&token=...; the answer is the same "
            "whether the account exists or not",
            'security': CSRF,
            'requestBody': body(ref('Reset')),
            'responses': {
                '202': NO_CONTENT,
                '400': error('BadRequest'),
                '403': error('Forbidden'),
                '429': error('TooManyRequests'),
                },
            }},
    '/auth/password': {'post': {
            'operationId': 'setPassword',
            'summary': "Set a new password with the reset token; the "
            "account's sessions end",
            'security': CSRF,
            'requestBody': body(ref('Password')),
            'responses': {
                '204': NO_CONTENT,
                '400': error('BadRequest'),
                '403': error('Forbidden'),
                '429': error('TooManyRequests'),
                },
            }},
    '/me': {
        'get': {
            'operationId': 'getProfile',
            'summary': "The client's profile",
            'security': SESSION,
            'responses': {
                '200': json_content(ref('Profile'), "The profile."),
                '401': error('NotLoggedIn'),
                },
            },
        'patch': {
            'operationId': 'updateProfile',
            'summary': "Change the profile",
            'security': SESSION_CSRF,
            'requestBody': body(ref('ProfilePatch')),
            'responses': {
                '200': json_content(ref('Profile'), "The new profile."),
                '400': error('BadRequest'),
                '401': error('NotLoggedIn'),
                '403': error('Forbidden'),
                },
            },
        },
    '/account': {'get': {
            'operationId': 'getAccount',
            'summary': "The balance, the payment method and the latest "
            "payments and invoices",
            'security': SESSION,
            'responses': {
                '200': json_content(ref('Account'), "The account."),
                '401': error('NotLoggedIn'),
                },
            }},
    '/stations': {'get': {
            'operationId': 'listStations',
            'summary': "The stations of the map, the nearest first when "
            "lat and lon are given",
            'security': PUBLIC,
            'parameters': LAT_LON,
            'responses': {
                '200': json_content({
                        'type': 'object',
                        'required': ['stations'],
                        'properties': {'stations': {
                                'type': 'array', 'items': ref('Station')}},
                        }, "The stations."),
                '400': error('BadRequest'),
                },
            }},
    '/stations/{station_id}': {'get': {
            'operationId': 'getStation',
            'summary': "A station, with the price the client pays when "
            "logged in",
            'security': PUBLIC,
            'parameters': [
                {'name': 'station_id', 'in': 'path', 'required': True,
                    'schema': {'type': 'integer'}},
                {'name': 'energy_wh', 'in': 'query', 'required': False,
                    'schema': {'type': 'integer', 'minimum': 0,
                        'default': 10000},
                    'description': "The energy the price is quoted for."},
                {'name': 'minutes', 'in': 'query', 'required': False,
                    'schema': {'type': 'integer', 'minimum': 0,
                        'default': 60},
                    'description': "The duration the price is quoted for."},
                ] + LAT_LON,
            'responses': {
                '200': json_content(ref('StationDetail'), "The station."),
                '400': error('BadRequest'),
                '404': error('NotFound'),
                },
            }},
    }


# Charging (api_charging.py)

CONNECTOR_BRIEF = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'number': {'type': 'integer'},
        'type': {'type': 'string'},
        'type_name': {'type': 'string'},
        'power_w': {'type': 'integer'},
        'status': {'type': 'string'},
        },
    }
STATION_BRIEF = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'name': {'type': 'string'},
        },
    }
COMMAND = {
    'type': ['object', 'null'],
    'description': "The station command that carries the request.",
    'properties': {
        'id': {'type': 'integer'},
        'action': {'type': 'string', 'enum': ['remote_start', 'remote_stop']},
        'state': {'type': 'string', 'enum': ['draft', 'pending', 'sent',
                'accepted', 'rejected', 'failed', 'not_connected',
                'timed_out', 'cancelled']},
        'requested_at': {'type': ['string', 'null'], 'format': 'date-time'},
        'answered_at': {'type': ['string', 'null'], 'format': 'date-time'},
        },
    }
SCHEMAS.update({
        'Quote': {
            'type': 'object',
            'required': ['connector', 'price', 'payment', 'may_start'],
            'properties': {
                'station': STATION_BRIEF,
                'connector': CONNECTOR_BRIEF,
                'energy_wh': {'type': 'integer'},
                'minutes': {'type': 'integer'},
                'price': {'type': ['object', 'null'], 'description':
                    "ev_tariff's quote (tariff_name, currency, lines, net, "
                    "tax, total), null when no tariff applies."},
                'discounts': {'type': 'array', 'items': {'type': 'string'},
                    'description': "The subscriptions and promo codes the "
                    "price takes off."},
                'promo': {'type': ['object', 'null'], 'description':
                    "The promo code given or reserved: code, valid, "
                    "reserved, description, or the reason it is refused."},
                'payment': {
                    'type': 'object',
                    'properties': {
                        'method': {'type': 'string',
                            'enum': ['balance', 'card']},
                        'currency': {'type': ['string', 'null']},
                        'card_saved': {'type': 'boolean'},
                        'available': {'oneOf': [MONEY, {'type': 'null'}]},
                        'minimum': {'oneOf': [MONEY, {'type': 'null'}]},
                        'preauthorization': {
                            'oneOf': [MONEY, {'type': 'null'}]},
                        },
                    },
                'may_start': {'type': 'boolean'},
                'reason': {'type': ['string', 'null'], 'description':
                    "Why a start is refused, in the client's language."},
                'reason_code': {'type': ['string', 'null']},
                },
            },
        'StartRequest': {
            'type': 'object',
            'required': ['connector'],
            'properties': {
                'connector': {'type': 'integer'},
                'code': {'type': 'string', 'description':
                    "A promo code to reserve for the session."},
                },
            },
        'ChargingSession': {
            'type': 'object',
            'description': "A session (id set), or its start request before "
            "the charger opens it (id null, state starting or "
            "start_failed).",
            'required': ['id', 'state'],
            'properties': {
                'id': {'type': ['integer', 'null']},
                'number': {'type': ['string', 'null']},
                'state': {'type': 'string', 'enum': ['starting',
                        'start_failed', 'pending', 'active', 'finished',
                        'failed']},
                'station': STATION_BRIEF,
                'connector': CONNECTOR_BRIEF,
                'started_at': {'type': ['string', 'null'],
                    'format': 'date-time'},
                'energy_wh': {'type': 'integer'},
                'power_w': {'type': ['integer', 'null'],
                    'description': "The latest power reading."},
                'soc': {'type': ['integer', 'null']},
                'duration_s': {'type': 'integer'},
                'cost': {'oneOf': [MONEY, {'type': 'null'}],
                    'description': "The cost so far, tax included."},
                'currency': {'type': ['string', 'null']},
                'payment_method': {'type': ['string', 'null']},
                'spending_limit': {'oneOf': [MONEY, {'type': 'null'}]},
                'limit_reached': {'type': 'boolean'},
                'stopping': {'type': 'boolean'},
                'promo': {'type': ['object', 'null']},
                'command': COMMAND,
                },
            },
        })
RESPONSES['Conflict'] = json_content(ref('Error'),
    "Not now: a session is already starting or running "
    "(msg_charging_in_progress), the connector cannot start "
    "(msg_connector_unavailable), or the session is not running.")
PATHS.update({
        '/quote': {'get': {
                'operationId': 'getQuote',
                'summary': "The price on a connector as the client will pay "
                "it, the payment method and whether a start is allowed",
                'security': SESSION,
                'parameters': [
                    {'name': 'connector', 'in': 'query', 'required': True,
                        'schema': {'type': 'integer'}},
                    {'name': 'code', 'in': 'query', 'required': False,
                        'schema': {'type': 'string'},
                        'description': "A promo code to price with."},
                    {'name': 'energy_wh', 'in': 'query', 'required': False,
                        'schema': {'type': 'integer', 'minimum': 0,
                            'default': 10000}},
                    {'name': 'minutes', 'in': 'query', 'required': False,
                        'schema': {'type': 'integer', 'minimum': 0,
                            'default': 60}},
                    ],
                'responses': {
                    '200': json_content(ref('Quote'), "The quote."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '404': error('NotFound'),
                    },
                }},
        '/sessions': {'post': {
                'operationId': 'startSession',
                'summary': "Start charging: a remote start to the charger "
                "for the client's app token",
                'security': SESSION_CSRF,
                'requestBody': body(ref('StartRequest')),
                'responses': {
                    '202': json_content(ref('ChargingSession'),
                        "The start request, state starting."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    '404': error('NotFound'),
                    '409': error('Conflict'),
                    },
                }},
        '/sessions/current': {'get': {
                'operationId': 'getCurrentSession',
                'summary': "The client's session starting or in progress, "
                "null when none",
                'security': SESSION,
                'responses': {
                    '200': json_content({'oneOf': [
                                ref('ChargingSession'), {'type': 'null'}]},
                        "The session, or null."),
                    '401': error('NotLoggedIn'),
                    },
                }},
        '/sessions/{session_id}/stop': {'post': {
                'operationId': 'stopSession',
                'summary': "Stop the client's session: a remote stop",
                'security': SESSION_CSRF,
                'parameters': [
                    {'name': 'session_id', 'in': 'path', 'required': True,
                        'schema': {'type': 'integer'}},
                    ],
                'responses': {
                    '202': json_content(ref('ChargingSession'),
                        "The session, stopping."),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    '404': error('NotFound'),
                    '409': error('Conflict'),
                    },
                }},
        })


# Account (api_account.py)

PAGING = [
    {'name': 'limit', 'in': 'query', 'required': False,
        'schema': {'type': 'integer', 'minimum': 1, 'maximum': 100,
            'default': 20}},
    {'name': 'offset', 'in': 'query', 'required': False,
        'schema': {'type': 'integer', 'minimum': 0, 'default': 0}},
    ]
INVOICE_BRIEF = {
    'type': ['object', 'null'],
    'properties': {
        'id': {'type': 'integer'},
        'number': {'type': ['string', 'null']},
        },
    }
ID_PATH = {'in': 'path', 'required': True, 'schema': {'type': 'integer'}}
SCHEMAS.update({
        'HistorySession': {
            'type': 'object',
            'properties': {
                'id': {'type': 'integer'},
                'number': {'type': ['string', 'null']},
                'station': {'type': 'object', 'properties': {
                        'id': {'type': 'integer'},
                        'name': {'type': 'string'}}},
                'connector': {'type': 'object', 'properties': {
                        'id': {'type': 'integer'},
                        'number': {'type': 'integer'},
                        'type': {'type': ['string', 'null']}}},
                'started_at': {'type': ['string', 'null'],
                    'format': 'date-time'},
                'stopped_at': {'type': ['string', 'null'],
                    'format': 'date-time'},
                'energy_wh': {'type': 'integer'},
                'amount': {'oneOf': [MONEY, {'type': 'null'}]},
                'currency': {'type': ['string', 'null']},
                'payment_method': {'type': ['string', 'null'],
                    'enum': ['balance', 'card', None]},
                'billing_state': {'type': ['string', 'null'],
                    'enum': ['free', 'pending', 'invoiced', None]},
                'refunded': MONEY,
                'invoice': INVOICE_BRIEF,
                },
            },
        'HistoryPayment': {
            'type': 'object',
            'properties': {
                'id': {'type': 'integer', 'description':
                    "The payment, or the credit note of a refund."},
                'kind': {'type': 'string',
                    'enum': ['topup', 'session', 'refund']},
                'date': {'type': ['string', 'null'], 'format': 'date'},
                'amount': MONEY,
                'currency': {'type': ['string', 'null']},
                'state': {'type': 'string', 'description':
                    "The payment's state (draft, processing, succeeded, "
                    "failed...), or the credit note's (posted, paid)."},
                'session': {'type': ['integer', 'null']},
                'invoice': INVOICE_BRIEF,
                },
            },
        'History': {
            'type': 'object',
            'required': ['sessions', 'payments'],
            'properties': {
                'sessions': {'type': 'array',
                    'items': ref('HistorySession')},
                'payments': {'type': 'array',
                    'items': ref('HistoryPayment')},
                'limit': {'type': 'integer'},
                'offset': {'type': 'integer'},
                },
            },
        'TopUp': {
            'type': 'object',
            'required': ['payment', 'amount', 'url'],
            'properties': {
                'payment': {'type': 'integer'},
                'amount': MONEY,
                'url': {'type': 'string', 'format': 'uri', 'description':
                    "The acquirer's checkout page: open it to pay."},
                },
            },
        'Plan': {
            'type': 'object',
            'description': "ev_tariff's offer of a subscription plan.",
            'properties': {
                'id': {'type': 'integer'},
                'name': {'type': 'string'},
                'description': {'type': 'string'},
                'fee': MONEY,
                'currency': {'type': 'string'},
                'period': {'type': 'string'},
                'included_energy_wh': {'type': 'integer'},
                'included_minutes': {'type': 'integer'},
                'discount_rate': MONEY,
                'waive_start_fee': {'type': 'boolean'},
                'partners': {'type': 'array', 'items': {'type': 'string'}},
                'stations': {'type': 'array', 'items': {'type': 'string'}},
                },
            },
        'Subscription': {
            'type': 'object',
            'properties': {
                'id': {'type': 'integer'},
                'number': {'type': ['string', 'null']},
                'plan': {'oneOf': [ref('Plan'), {'type': 'null'}]},
                'state': {'type': 'string'},
                'start_date': {'type': 'string', 'format': 'date'},
                'end_date': {'type': ['string', 'null'], 'format': 'date'},
                'renews': {'type': 'boolean'},
                'period_start': {'type': ['string', 'null'],
                    'format': 'date'},
                'period_end': {'type': ['string', 'null'], 'format': 'date'},
                'energy_used_wh': {'type': ['integer', 'null']},
                'energy_left_wh': {'type': ['integer', 'null']},
                'minutes_used': {'oneOf': [MONEY, {'type': 'null'}]},
                'minutes_left': {'oneOf': [MONEY, {'type': 'null'}]},
                },
            },
        'PromoCheck': {
            'type': 'object',
            'required': ['valid', 'code'],
            'properties': {
                'valid': {'type': 'boolean'},
                'code': {'type': 'string'},
                'reason': {'type': 'string', 'description':
                    "Why the code is refused, when not valid."},
                'promotion': {'type': 'string'},
                'description': {'type': 'string'},
                'kind': {'type': 'string', 'enum': ['percentage', 'fixed',
                        'free_kwh', 'free_start_fee']},
                },
            },
        })
PATHS.update({
        '/history': {'get': {
                'operationId': 'getHistory',
                'summary': "The client's finished sessions and payments "
                "(top-ups, card captures, refunds), newest first",
                'security': SESSION,
                'parameters': PAGING,
                'responses': {
                    '200': json_content(ref('History'), "The history."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    },
                }},
        '/invoices/{invoice_id}/receipt': {'get': {
                'operationId': 'getReceipt',
                'summary': "The client's invoice as an HTML receipt: lines, "
                "taxes and total",
                'security': SESSION,
                'parameters': [dict(ID_PATH, name='invoice_id')],
                'responses': {
                    '200': {'description': "The receipt.", 'content': {
                            'text/html': {'schema': {'type': 'string'}}}},
                    '401': error('NotLoggedIn'),
                    '404': error('NotFound'),
                    },
                }},
        '/sessions/{session_id}/receipt': {'get': {
                'operationId': 'getSessionReceipt',
                'summary': "The receipt of the client's finished session as "
                "HTML: where, when, the energy, the price lines with "
                "discounts and tax, the total, and the invoice once there "
                "is one",
                'security': SESSION,
                'parameters': [dict(ID_PATH, name='session_id')],
                'responses': {
                    '200': {'description': "The receipt.", 'content': {
                            'text/html': {'schema': {'type': 'string'}}}},
                    '401': error('NotLoggedIn'),
                    '404': error('NotFound'),
                    },
                }},
        '/topup': {'post': {
                'operationId': 'topUp',
                'summary': "Top up the balance by card: a payment and the "
                "acquirer's checkout page",
                'security': SESSION_CSRF,
                'requestBody': body({
                        'type': 'object', 'required': ['amount'],
                        'properties': {'amount': MONEY}}),
                'responses': {
                    '201': json_content(ref('TopUp'), "The top-up."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                }},
        '/cards': {'post': {
                'operationId': 'saveCard',
                'summary': "Save a bank card, or replace the saved one: the "
                "acquirer's page to enter it",
                'security': SESSION_CSRF,
                'responses': {
                    '201': json_content({
                            'type': 'object', 'required': ['url'],
                            'properties': {'url': {
                                    'type': 'string', 'format': 'uri'}}},
                        "The acquirer's page where the card is entered."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                }},
        '/payment-method': {'post': {
                'operationId': 'setPaymentMethod',
                'summary': "Choose how charging is paid",
                'security': SESSION_CSRF,
                'requestBody': body({
                        'type': 'object', 'required': ['method'],
                        'properties': {'method': {'type': 'string',
                                'enum': ['balance', 'card']}}}),
                'responses': {
                    '200': json_content({
                            'type': 'object',
                            'properties': {'payment_method': {
                                    'type': 'string'}}},
                        "The method chosen."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                }},
        '/subscriptions': {
            'get': {
                'operationId': 'getSubscriptions',
                'summary': "The plans the client may buy and the client's "
                "subscriptions with their usage",
                'security': SESSION,
                'responses': {
                    '200': json_content({
                            'type': 'object',
                            'required': ['offers', 'subscriptions'],
                            'properties': {
                                'offers': {'type': 'array',
                                    'items': ref('Plan')},
                                'subscriptions': {'type': 'array',
                                    'items': ref('Subscription')},
                                }}, "The offers and subscriptions."),
                    '401': error('NotLoggedIn'),
                    },
                },
            'post': {
                'operationId': 'buySubscription',
                'summary': "Buy a plan: a subscription from today, renewed "
                "every period",
                'security': SESSION_CSRF,
                'requestBody': body({
                        'type': 'object', 'required': ['plan'],
                        'properties': {'plan': {'type': 'integer'}}}),
                'responses': {
                    '201': json_content(ref('Subscription'),
                        "The subscription."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                },
            },
        '/subscriptions/{subscription_id}/cancel': {'post': {
                'operationId': 'cancelSubscription',
                'summary': "Stop the renewal: the subscription ends with "
                "its period",
                'security': SESSION_CSRF,
                'parameters': [dict(ID_PATH, name='subscription_id')],
                'responses': {
                    '200': json_content(ref('Subscription'),
                        "The subscription."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                }},
        '/promo-codes/check': {'post': {
                'operationId': 'checkPromoCode',
                'summary': "Whether the client may use a promo code (at a "
                "station)",
                'security': SESSION_CSRF,
                'requestBody': body({
                        'type': 'object', 'required': ['code'],
                        'properties': {
                            'code': {'type': 'string'},
                            'station': {'type': 'integer'}}}),
                'responses': {
                    '200': json_content(ref('PromoCheck'), "The check."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    '404': error('NotFound'),
                    },
                }},
        })


# Usage (api_usage.py)

SCHEMAS.update({
        'StationUsage': {
            'type': 'object',
            'required': ['station', 'weeks', 'timezone', 'busy',
                'sessions_30d', 'energy_wh_30d', 'daily'],
            'description': "Aggregates of all the station's sessions that "
            "charged (active or finished); nothing about the clients.",
            'properties': {
                'station': {'type': 'integer'},
                'weeks': {'type': 'integer', 'examples': [8]},
                'timezone': {'type': 'string',
                    'examples': ['Europe/Moscow'],
                    'description': "The station's time zone (else its "
                    "company's), of the hours and dates."},
                'busy': {
                    'type': 'array', 'minItems': 7, 'maxItems': 7,
                    'description': "For each weekday, Monday first, the "
                    "share of the connectors in use in each local hour, "
                    "on average over the weeks before the current hour "
                    "(a running session counts until now).",
                    'items': {
                        'type': 'array', 'minItems': 24, 'maxItems': 24,
                        'items': {'type': 'number', 'minimum': 0,
                            'maximum': 1}},
                    },
                'sessions_30d': {'type': 'integer'},
                'energy_wh_30d': {'type': 'integer'},
                'daily': {
                    'type': 'array', 'minItems': 30, 'maxItems': 30,
                    'description': "The last 30 local days, today last, "
                    "by the sessions' start.",
                    'items': {
                        'type': 'object',
                        'required': ['date', 'sessions', 'energy_wh'],
                        'properties': {
                            'date': {'type': 'string', 'format': 'date'},
                            'sessions': {'type': 'integer'},
                            'energy_wh': {'type': 'integer'},
                            },
                        }},
                },
            },
        })
PATHS.update({
        '/stations/{station_id}/usage': {'get': {
                'operationId': 'getStationUsage',
                'summary': "When a station is busy, by local hour of the "
                "week, and its sessions and energy of the last 30 days",
                'security': PUBLIC,
                'parameters': [
                    {'name': 'station_id', 'in': 'path', 'required': True,
                        'schema': {'type': 'integer'}},
                    ],
                'responses': {
                    '200': json_content(ref('StationUsage'),
                        "The usage (Cache-Control: public, max-age=300)."),
                    '404': error('NotFound'),
                    },
                }},
        })


# Notifications (api_notifications.py)

TIMESTAMP = {'type': 'string', 'format': 'date-time',
    'examples': ['2026-11-20T11:00:00Z']}
SCHEMAS.update({
        'Notification': {
            'type': 'object',
            'required': ['id', 'kind', 'title', 'body', 'at', 'url',
                'unread'],
            'properties': {
                'id': {'type': 'string', 'description':
                    "Stable: <kind>-<record id> (a station fault adds the "
                    "start of the fault as Unix time), so that the app "
                    "shows each once.",
                    'examples': ['session_finished-42',
                        'station_fault-3-1764000000']},
                'kind': {'type': 'string', 'enum': ['session_finished',
                        'station_fault', 'payment_succeeded',
                        'payment_failed', 'support_reply']},
                'title': {'type': 'string', 'description':
                    "In the client's language."},
                'body': {'type': 'string', 'description':
                    "In the client's language."},
                'at': TIMESTAMP,
                'url': {'type': 'string', 'description':
                    "The app's route to open (hash).",
                    'examples': ['#/history', '#/station/3']},
                'unread': {'type': 'boolean', 'description':
                    "Newer than what the client marked as read."},
                },
            },
        'Notifications': {
            'type': 'object',
            'required': ['notifications', 'unread'],
            'properties': {
                'notifications': {'type': 'array', 'maxItems': 50,
                    'items': ref('Notification')},
                'unread': {'type': 'integer', 'description':
                    "Unread items of the last 30 days, whatever since."},
                },
            },
        })
PATHS.update({
        '/notifications': {'get': {
                'operationId': 'getNotifications',
                'summary': "The client's notifications of the last 30 days "
                "(sessions finished, faults of the stations the client "
                "charges at, payments succeeded or failed), newest first",
                'description': "There is no push: the app polls this while "
                "it is open. A station fault stays in the feed while it "
                "lasts.",
                'security': SESSION,
                'parameters': [
                    {'name': 'since', 'in': 'query', 'required': False,
                        'schema': TIMESTAMP,
                        'description': "Only the items after this time."},
                    ],
                'responses': {
                    '200': json_content(ref('Notifications'),
                        "The notifications."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    },
                }},
        '/notifications/seen': {'post': {
                'operationId': 'markNotificationsSeen',
                'summary': "Mark the notifications up to a time as read",
                'security': SESSION_CSRF,
                'requestBody': body({
                        'type': 'object',
                        'properties': {'until': dict(TIMESTAMP,
                                description="Read up to this time; now "
                                "when left out. An earlier time than the "
                                "one kept changes nothing.")}}),
                'responses': {
                    '200': json_content({
                            'type': 'object',
                            'required': ['until', 'unread'],
                            'properties': {
                                'until': TIMESTAMP,
                                'unread': {'type': 'integer'}}},
                        "What is read now."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                }},
        })


# Promo codes redeemed in the account (api_promo.py)

SCHEMAS.update({
        'PromoCode': {
            'type': 'object',
            'required': ['id', 'code', 'state'],
            'properties': {
                'id': {'type': 'integer'},
                'code': {'type': 'string'},
                'promotion': {'type': 'string'},
                'description': {'type': 'string'},
                'state': {'type': 'string', 'enum': ['reserved', 'applied'],
                    'description': "Waiting for the next session, or used "
                    "by one."},
                'session': {'type': ['integer', 'null']},
                'redeemed_at': TIMESTAMP,
                'applied_at': {'oneOf': [TIMESTAMP, {'type': 'null'}]},
                'discount': {'oneOf': [MONEY, {'type': 'null'}]},
                },
            },
        })
PATHS.update({
        '/promo-codes': {
            'get': {
                'operationId': 'getPromoCodes',
                'summary': "The client's promo codes waiting for a session "
                "or used, newest first",
                'security': SESSION,
                'responses': {
                    '200': json_content({
                            'type': 'object', 'required': ['codes'],
                            'properties': {'codes': {'type': 'array',
                                    'items': ref('PromoCode')}}},
                        "The codes."),
                    '401': error('NotLoggedIn'),
                    },
                },
            'post': {
                'operationId': 'redeemPromoCode',
                'summary': "Redeem a promo code for the client's next "
                "session (ev_tariff keeps its limits)",
                'security': SESSION_CSRF,
                'requestBody': body({
                        'type': 'object', 'required': ['code'],
                        'properties': {'code': {'type': 'string'}}}),
                'responses': {
                    '201': json_content(ref('PromoCode'), "The code."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                },
            },
        '/promo-codes/{redemption_id}': {'delete': {
                'operationId': 'withdrawPromoCode',
                'summary': "Give back a code redeemed for the next session "
                "and not used yet",
                'security': SESSION_CSRF,
                'parameters': [dict(ID_PATH, name='redemption_id')],
                'responses': {
                    '204': {'description': "Given back."},
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    },
                }},
        })


# Support requests (api_support.py)

SCHEMAS.update({
        'SupportRequest': {
            'type': 'object',
            'required': ['id', 'subject', 'state', 'session', 'created_at',
                'updated_at', 'unread'],
            'properties': {
                'id': {'type': 'integer'},
                'subject': {'type': 'string'},
                'state': {'type': 'string',
                    'enum': ['open', 'answered', 'resolved'],
                    'description': "Open: support has not answered the "
                    "client's last message yet; answered: support wrote "
                    "last; resolved: support closed it (a new message "
                    "opens it again)."},
                'session': {'type': ['integer', 'null'], 'description':
                    "The client's session the request is about."},
                'created_at': TIMESTAMP,
                'updated_at': dict(TIMESTAMP,
                    description="The time of the last message."),
                'unread': {'type': 'boolean', 'description':
                    "A reply of support is newer than what the client "
                    "read."},
                },
            },
        'SupportMessage': {
            'type': 'object',
            'required': ['id', 'author', 'name', 'text', 'at'],
            'properties': {
                'id': {'type': 'integer'},
                'author': {'type': 'string', 'enum': ['client', 'support']},
                'name': {'type': 'string', 'description':
                    "The name of the staff member who replied, or the "
                    "client's."},
                'text': {'type': 'string'},
                'at': TIMESTAMP,
                },
            },
        'SupportThread': {
            'allOf': [ref('SupportRequest'), {
                    'type': 'object',
                    'required': ['messages'],
                    'properties': {'messages': {'type': 'array',
                            'items': ref('SupportMessage'),
                            'description': "Oldest first; support's "
                            "internal notes are not shown."}}}],
            },
        })
SUPPORT_TEXT = {'type': 'string', 'minLength': 1, 'maxLength': 4000}
PATHS.update({
        '/support': {
            'get': {
                'operationId': 'getSupportRequests',
                'summary': "The client's support requests, newest first",
                'security': SESSION,
                'responses': {
                    '200': json_content({
                            'type': 'object', 'required': ['requests'],
                            'properties': {'requests': {'type': 'array',
                                    'items': ref('SupportRequest')}}},
                        "The requests."),
                    '401': error('NotLoggedIn'),
                    },
                },
            'post': {
                'operationId': 'createSupportRequest',
                'summary': "Write to support, about one of the client's "
                "sessions if they like",
                'security': SESSION_CSRF,
                'requestBody': body({
                        'type': 'object', 'required': ['text'],
                        'properties': {
                            'subject': {'type': 'string', 'maxLength': 200,
                                'description': "The first line of the text "
                                "when left out."},
                            'text': SUPPORT_TEXT,
                            'session': {'type': ['integer', 'null'],
                                'description': "One of the client's "
                                "sessions (404 otherwise)."},
                            }}),
                'responses': {
                    '201': json_content(ref('SupportThread'),
                        "The request with its first message."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    '404': error('NotFound'),
                    },
                },
            },
        '/support/{request_id}': {'get': {
                'operationId': 'getSupportRequest',
                'summary': "A request of the client with its conversation; "
                "the replies are read now",
                'security': SESSION,
                'parameters': [dict(ID_PATH, name='request_id')],
                'responses': {
                    '200': json_content(ref('SupportThread'),
                        "The request."),
                    '401': error('NotLoggedIn'),
                    '404': error('NotFound'),
                    },
                }},
        '/support/{request_id}/messages': {'post': {
                'operationId': 'writeSupportMessage',
                'summary': "Write to support in a request's conversation "
                "(a resolved request opens again)",
                'security': SESSION_CSRF,
                'parameters': [dict(ID_PATH, name='request_id')],
                'requestBody': body({
                        'type': 'object', 'required': ['text'],
                        'properties': {'text': SUPPORT_TEXT}}),
                'responses': {
                    '201': json_content(ref('SupportMessage'),
                        "The message."),
                    '400': error('BadRequest'),
                    '401': error('NotLoggedIn'),
                    '403': error('Forbidden'),
                    '404': error('NotFound'),
                    },
                }},
        })


def document(server):
    "Return the OpenAPI document with server as the base URL of the API"
    return {
        'openapi': '3.1.0',
        'info': {
            'title': "EV charging network: client API",
            'version': '1',
            'description': (
                "The JSON API of the client app. Errors are "
                '{"error": {"code", "message"}} with the message in the '
                "client's language (the profile's, else Accept-Language, "
                "else Russian). Every request other than GET must repeat "
                "the ev_csrf cookie in the X-CSRF-Token header. Money is "
                "decimal text, energy integer Wh, timestamps UTC ISO 8601 "
                "with Z."),
            },
        'servers': [{'url': server}],
        'paths': copy.deepcopy(PATHS),
        'components': {
            'schemas': copy.deepcopy(SCHEMAS),
            'responses': copy.deepcopy(RESPONSES),
            'securitySchemes': {
                'session': {'type': 'apiKey', 'in': 'cookie',
                    'name': 'ev_session'},
                'csrfCookie': {'type': 'apiKey', 'in': 'cookie',
                    'name': 'ev_csrf'},
                'csrfHeader': {'type': 'apiKey', 'in': 'header',
                    'name': 'X-CSRF-Token'},
                },
            },
        }
