# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class Gateway(metaclass=PoolMeta):
    __name__ = 'ev.ocpp.gateway'

    @classmethod
    def _id_tag_status(cls, station, tag, connector=None, at=None):
        status = super()._id_tag_status(
            station, tag, connector=connector, at=at)
        # A client who cannot pay is refused like a blocked card: OCPP has
        # no finer answer, the app tells the client why.
        if (status == 'accepted' and tag.party
                and tag.party.ev_client
                and tag.party.ev_may_start() is not None):
            return 'blocked'
        return status

    @classmethod
    def _add_samples(cls, session, samples):
        pool = Pool()
        Session = pool.get('ev.session')
        last = super()._add_samples(session, samples)
        Session.check_limits([session])
        return last
