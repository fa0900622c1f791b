# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.model import ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id
from trytond.transaction import Transaction


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    ev_partner = fields.Many2One(
        'ev.partner', "Charging Partner", ondelete='RESTRICT',
        help="The partner this user works for. Record rules confine partner "
        "staff to the partner's own network.")
    ev_party = fields.Many2One(
        'party.party', "Own Party", ondelete='SET NULL',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The party of the user as a client of the network.")
    ev_menus = fields.Many2Many(
        'res.user-ir.ui.menu', 'user', 'menu', "Allowed EV Menus",
        domain=[
            ('parent', '=', Id('ev_partner', 'menu_ev')),
            ],
        help="When set, the user opens only these sections of the charging "
        "network menu, on top of what the groups allow.")
    _ev_partner_cache = Cache('res_user.ev_partner_parties', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._context_fields.insert(0, 'ev_partner')

    @classmethod
    def get_ev_partner_parties(cls):
        "Return the parties of the partner the current user works for"
        user_id = Transaction().user
        parties = cls._ev_partner_cache.get(user_id)
        if parties is None:
            user = cls(user_id)
            if user.ev_partner and user.ev_partner.party:
                parties = [user.ev_partner.party.id]
            else:
                parties = []
            cls._ev_partner_cache.set(user_id, parties)
        return parties

    @classmethod
    def get_ev_party(cls):
        "Return the id of the current user's own party or -1"
        user = cls(Transaction().user)
        return user.ev_party.id if user.ev_party else -1

    @classmethod
    def check_ev_privileged(cls, groups):
        """Raise unless the current user may grant the groups: only platform
        administrators hand out administration rights"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        transaction = Transaction()
        # Not on check_access: create and write run without it. The root
        # user (set-up, crons, role validity sync) may grant anything.
        if not transaction.user:
            return
        privileged = {
            ModelData.get_id('res', 'group_admin'),
            ModelData.get_id('ev_partner', 'group_ev_admin'),
            }
        wanted = privileged & {int(g) for g in groups}
        if not wanted:
            return
        user = cls(transaction.user)
        if not privileged & {g.id for g in user.groups}:
            group = Group(min(wanted))
            raise AccessError(gettext(
                    'ev_partner.msg_user_privileged_group',
                    group=group.rec_name))

    @classmethod
    def create(cls, vlist):
        for values in vlist:
            for action in values.get('groups', []):
                if action[0] == 'add':
                    cls.check_ev_privileged(action[1])
                elif action[0] == 'create':
                    raise AccessError(gettext(
                            'ev_partner.msg_user_privileged_group',
                            group='-'))
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        actions = iter(args)
        before = {}
        for users, values in zip(actions, actions):
            for action in values.get('groups', []):
                if action[0] == 'add':
                    cls.check_ev_privileged(action[1])
            if 'groups' in values:
                for user in users:
                    before[user.id] = {g.rec_name for g in user.groups}
        super().write(*args)
        if {'ev_partner', 'ev_party'} & {
                k for v in args[1::2] for k in v}:
            cls._ev_partner_cache.clear()
        entries = []
        for user in cls.browse(list(before)):
            after = {g.rec_name for g in user.groups}
            if after != before[user.id]:
                entries.append(('group', user, user.login,
                        ', '.join(sorted(before[user.id])),
                        ', '.join(sorted(after))))
        AuditLog.log_many(entries)

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        if mode in {'create', 'delete'}:
            cls._ev_partner_cache.clear()


class UserMenu(ModelSQL):
    __name__ = 'res.user-ir.ui.menu'
    __string__ = "User - Allowed EV Menu"

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    menu = fields.Many2One(
        'ir.ui.menu', "Menu", required=True, ondelete='CASCADE')


class UserRole(metaclass=PoolMeta):
    __name__ = 'res.user.role'

    @classmethod
    def create(cls, vlist):
        cls._check_ev_privileged([v.get('role') for v in vlist])
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        cls._check_ev_privileged([v.get('role') for v in args[1::2]])
        super().write(*args)

    @classmethod
    def _check_ev_privileged(cls, role_ids):
        pool = Pool()
        User = pool.get('res.user')
        Role = pool.get('res.role')
        for role in Role.browse([r for r in role_ids if r is not None]):
            User.check_ev_privileged([g.id for g in role.groups])

    @classmethod
    def on_modification(cls, mode, roles, field_names=None):
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        super().on_modification(mode, roles, field_names=field_names)
        if mode in {'create', 'write'}:
            AuditLog.log_many([
                    ('role', role.user, role.user.login, None,
                        role.role.rec_name)
                    for role in roles])

    @classmethod
    def on_delete(cls, roles):
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        callback = super().on_delete(roles)
        AuditLog.log_many([
                ('role', role.user, role.user.login, role.role.rec_name, None)
                for role in roles])
        return callback
