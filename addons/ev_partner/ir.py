# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        key = (*key, tuple(User.get_ev_partner_parties()),
            cls._get_ev_party())
        if 'ev.message' in model_names:
            key = (*key, Transaction().user)
        return key

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        # Partner staff rules read "ev_partner_parties"; client rules read
        # "ev_party".
        context['ev_partner_parties'] = User.get_ev_partner_parties()
        context['ev_party'] = cls._get_ev_party()
        if model_name == 'ev.message':
            # The confirmations of what a user started are theirs.
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_ev_party(cls):
        """Return the client party the rules confine the user to

        The client app may set "_ev_portal_party" for its technical user:
        a private key, which trytond strips from the context of RPC calls,
        so no user can name another client's party."""
        pool = Pool()
        User = pool.get('res.user')
        return (Transaction().context.get('_ev_portal_party')
            or User.get_ev_party())


class Menu(metaclass=PoolMeta):
    __name__ = 'ir.ui.menu'

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        menus = super().search(domain, offset=offset, limit=limit,
            order=order, count=count, query=query)
        transaction = Transaction()
        if query or count or not transaction.check_access \
                or not transaction.user:
            return menus
        user = User(transaction.user)
        allowed = {m.id for m in user.ev_menus}
        if not allowed:
            return menus
        # The operator chose the sections of the EV menu the user opens:
        # the others and everything below them are hidden.
        root = ModelData.get_id('ev_partner', 'menu_ev')

        def visible(menu):
            child = None
            while menu:
                if menu.id == root:
                    return child is None or child.id in allowed
                child, menu = menu, menu.parent
            return True
        return [m for m in menus if visible(m)]
