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
            'sounds'],
        'properties': {
            'email': {'type': 'string', 'format': 'email'},
            'name': {'type': 'string'},
            'phone': {'type': ['string', 'null']},
            'language': LANGUAGE,
            'theme': {'type': 'string', 'enum': ['light', 'dark']},
            'sounds': {'type': 'boolean'},
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
