# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Create the benchmark's stations in a demo database

    python bench/setup_stations.py -c trytond.conf -d DB --count N \
        --password PW

BENCH-00001 … with one connector each, connected, and the id tag BENCHTAG.
They share one password hash: argon2 at 10,000 stations would time the
hashing, not the platform.
"""
import argparse
from decimal import Decimal


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--count', type=int, required=True)
    parser.add_argument('--password', required=True)
    args = parser.parse_args()

    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool(args.database).init()
    with Transaction().start(args.database, 0, context={
                'active_test': False}) as transaction:
        pool = Pool()
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        IdTag = pool.get('ev.id_tag')
        User = pool.get('res.user')

        company, = Company.search([], limit=1)
        with Transaction().set_context(company=company.id):
            partner = Party(name="Bench Partner", ev_partner=True)
            partner.save()
            client = Party(name="Bench Client", ev_client=True)
            client.save()
            IdTag(code='BENCHTAG', party=client).save()
            type2, = ConnectorType.search([('code', '=', 'type2')])
            for start in range(0, args.count, 500):
                stations = [Station(
                        name='Bench %05d' % n, identity='BENCH-%05d' % n,
                        partner=partner, company=company,
                        connectors=[Connector(number=1, evse=1, type=type2,
                                max_power=Decimal(22))])
                    for n in range(start + 1,
                        min(start + 500, args.count) + 1)]
                Station.save(stations)
                Station.connect(stations)
        table = Station.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.update(
                [table.password_hash],
                [User.hash_password(args.password)],
                where=table.identity.like('BENCH-%')))
        transaction.commit()


if __name__ == '__main__':
    main()
