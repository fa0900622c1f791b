# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client's promo codes: redeemed in the account for the next session
(a code handed out on a flyer is entered at home, not at the charger), the
codes waiting or used, and giving back one not used yet

ev_tariff's redemptions do the work and keep the limits: this is their
HTTP face. A code typed on the start screen instead is reserved by the
start itself (api_charging)."""
from trytond.protocols.wrappers import HTTPStatus

from .api_account import code_value
from .routes import api, as_client, json_response, read_json


@api('promo-codes', ['GET', 'POST'], login=True)
def promo_codes(request, pool, user):
    """The client's codes waiting for a session or used, newest first; POST
    redeems a code for the client's next session"""
    Redemption = pool.get('ev.promotion.redemption')
    if request.method == 'POST':
        code = code_value(pool, read_json(request))
        with as_client(pool, user):
            return json_response(
                Redemption.redeem(code), HTTPStatus.CREATED)
    with as_client(pool, user):
        codes = Redemption.my_codes()
    codes.sort(key=lambda c: (c['redeemed_at'], c['id']), reverse=True)
    return json_response({'codes': codes})


@api('promo-codes/<int:redemption_id>', ['DELETE'], login=True)
def withdraw_promo_code(request, pool, user, redemption_id):
    "Give back a code redeemed for the next session and not used yet"
    Redemption = pool.get('ev.promotion.redemption')
    with as_client(pool, user):
        Redemption.withdraw(redemption_id)
    return json_response(None, HTTPStatus.NO_CONTENT)
