# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Stripe's test cards and what each one does in the sandbox.

Numbers and magic PaymentMethod ids follow https://docs.stripe.com/testing
so that a scenario written for the sandbox also runs against Stripe's test
mode.
"""
import hashlib

# Outcomes
SUCCEED = 'succeed'
DECLINE = 'decline'
# Authentication on session; off session succeeds once the card was set up
# (a SetupIntent authenticated it), otherwise authentication_required.
THREE_DS_SETUP = '3ds_setup'
# Authentication on every payment, off session too.
THREE_DS_ALWAYS = '3ds_always'
THREE_DS_DECLINE = '3ds_decline'
REFUND_FAIL = 'refund_fail'
DISPUTE = 'dispute'
# Attaching works, charging fails.
CHARGE_FAIL = 'charge_fail'
INVALID_NUMBER = 'invalid_number'

MESSAGES = {
    'generic_decline': "Your card was declined.",
    'insufficient_funds': "Your card has insufficient funds.",
    'lost_card': "Your card was declined.",
    'stolen_card': "Your card was declined.",
    'expired_card': "Your card has expired.",
    'incorrect_cvc': "Your card's security code is incorrect.",
    'processing_error': (
        "An error occurred while processing your card. "
        "Try again in a little bit."),
    'incorrect_number': "Your card number is incorrect.",
    'authentication_required': (
        "Your card was declined. This transaction requires "
        "authentication."),
    }


def _decline(code, decline_code):
    return {
        'outcome': DECLINE, 'code': code, 'decline_code': decline_code,
        'message': MESSAGES.get(decline_code) or MESSAGES[code],
        }


CARDS = {
    '4242424242424242': {'brand': 'visa', 'outcome': SUCCEED},
    '4000056655665556': {'brand': 'visa', 'outcome': SUCCEED,
        'funding': 'debit'},
    '5555555555554444': {'brand': 'mastercard', 'outcome': SUCCEED},
    '2223003122003222': {'brand': 'mastercard', 'outcome': SUCCEED},
    '378282246310005': {'brand': 'amex', 'outcome': SUCCEED},
    '4000000000000002': dict(brand='visa',
        **_decline('card_declined', 'generic_decline')),
    '4000000000009995': dict(brand='visa',
        **_decline('card_declined', 'insufficient_funds')),
    '4000000000009987': dict(brand='visa',
        **_decline('card_declined', 'lost_card')),
    '4000000000009979': dict(brand='visa',
        **_decline('card_declined', 'stolen_card')),
    '4000000000000069': dict(brand='visa',
        **_decline('expired_card', 'expired_card')),
    '4000000000000127': dict(brand='visa',
        **_decline('incorrect_cvc', 'incorrect_cvc')),
    '4000000000000119': dict(brand='visa',
        **_decline('processing_error', 'processing_error')),
    '4242424242424241': {'brand': 'visa', 'outcome': INVALID_NUMBER,
        'code': 'incorrect_number', 'decline_code': None,
        'message': MESSAGES['incorrect_number']},
    '4000002500003155': {'brand': 'visa', 'outcome': THREE_DS_SETUP},
    '4000002760003184': {'brand': 'visa', 'outcome': THREE_DS_ALWAYS},
    '4000000000003220': {'brand': 'visa', 'outcome': THREE_DS_ALWAYS},
    '4000008400001629': dict(brand='visa', **_decline(
                'card_declined', 'generic_decline'),
        then=THREE_DS_DECLINE),
    '4000008260003178': dict(brand='visa', **_decline(
                'card_declined', 'insufficient_funds'),
        then=THREE_DS_DECLINE),
    '4000000000005126': {'brand': 'visa', 'outcome': REFUND_FAIL},
    '4000000000000259': {'brand': 'visa', 'outcome': DISPUTE},
    '4000000000000341': dict(brand='visa', **_decline(
                'card_declined', 'generic_decline'),
        then=CHARGE_FAIL),
    }
# The "then" key marks declines that happen later than a plain decline.
for _card in CARDS.values():
    if _card.get('then'):
        _card['outcome'] = _card.pop('then')

MAGIC_PAYMENT_METHODS = {
    'pm_card_visa': '4242424242424242',
    'pm_card_visa_debit': '4000056655665556',
    'pm_card_mastercard': '5555555555554444',
    'pm_card_amex': '378282246310005',
    'pm_card_chargeDeclined': '4000000000000002',
    'pm_card_chargeDeclinedInsufficientFunds': '4000000000009995',
    'pm_card_chargeDeclinedLostCard': '4000000000009987',
    'pm_card_chargeDeclinedStolenCard': '4000000000009979',
    'pm_card_chargeDeclinedExpiredCard': '4000000000000069',
    'pm_card_chargeDeclinedIncorrectCvc': '4000000000000127',
    'pm_card_chargeDeclinedProcessingError': '4000000000000119',
    'pm_card_authenticationRequiredOnSetup': '4000002500003155',
    'pm_card_authenticationRequired': '4000002760003184',
    'pm_card_threeDSecure2Required': '4000000000003220',
    'pm_card_authenticationRequiredChargeDeclinedInsufficientFunds': (
        '4000008260003178'),
    'pm_card_refundFail': '4000000000005126',
    'pm_card_createDispute': '4000000000000259',
    'pm_card_chargeCustomerFail': '4000000000000341',
    }

# Shown as quick picks by the Stripe.js stand-in.
QUICK_PICKS = [
    ('4242424242424242', "Success"),
    ('4000000000000002', "Declined"),
    ('4000000000009995', "Insufficient funds"),
    ('4000002500003155', "3-D Secure"),
    ('4000002760003184', "3-D Secure, always"),
    ('4000008260003178', "3-D Secure, then declined"),
    ('4000000000005126', "Refund fails"),
    ('4000000000000259', "Dispute"),
    ]


def card(number):
    "Return the behaviour of the card number (unknown numbers succeed)"
    number = ''.join(c for c in (number or '') if c.isdigit())
    if number in CARDS:
        return dict(CARDS[number])
    if not number or len(number) < 12 or not luhn(number):
        return {'brand': 'unknown', 'outcome': INVALID_NUMBER,
            'code': 'incorrect_number', 'decline_code': None,
            'message': MESSAGES['incorrect_number']}
    brand = {'4': 'visa', '5': 'mastercard', '3': 'amex',
        '2': 'mastercard'}.get(number[0], 'unknown')
    return {'brand': brand, 'outcome': SUCCEED}


def luhn(number):
    total = 0
    for i, digit in enumerate(reversed(number)):
        value = int(digit)
        if i % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def fingerprint(number):
    "Same card, same fingerprint (Tryton finds identical customers by it)"
    return hashlib.sha256(
        ('ev-sandbox:' + number).encode()).hexdigest()[:16]
