# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

from .tools import utcnow


class AuditLog(ModelSQL, ModelView):
    "The trail of the operations that change who may charge, sell or act"
    __name__ = 'ev.audit.log'
    __string__ = "EV Audit Log"

    at = fields.DateTime("At", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    action = fields.Selection([
            ('partner_state', "Partner State"),
            ('station_state', "Station State"),
            ('tariff', "Tariff Change"),
            ('command', "Remote Command"),
            ('role', "Role Change"),
            ('group', "Group Change"),
            ], "Action", required=True, readonly=True)
    resource = fields.Reference(
        "Resource", selection='get_resources', readonly=True)
    description = fields.Char("Description", readonly=True)
    old_value = fields.Char("Old Value", readonly=True)
    new_value = fields.Char("New Value", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.at, Index.Range(order='DESC'))),
                Index(t, (t.resource, Index.Equality())),
                })
        cls._order = [('at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def get_resources(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, '')] + [
            (m, Model.get_name(m)) for m in cls._get_resources()]

    @classmethod
    def _get_resources(cls):
        "Return the models an audit entry may point to"
        return ['ev.partner', 'res.user', 'res.group']

    @classmethod
    def log(cls, action, records, description=None, old=None, new=None):
        "Record action on each record with the same description and values"
        cls.log_many([(action, r, description, old, new) for r in records])

    @classmethod
    def log_many(cls, entries):
        """Record the (action, record, description, old, new) entries at once,
        on behalf of the user of the transaction who may not read the log"""
        user = Transaction().user or None
        at = utcnow()
        vlist = [{
                'at': at,
                'user': user,
                'action': action,
                'resource': str(record) if record else None,
                'description': description,
                'old_value': old,
                'new_value': new,
                } for action, record, description, old, new in entries]
        if vlist:
            with without_check_access():
                cls.create(vlist)

    @classmethod
    def check_modification(cls, mode, logs, values=None, external=False):
        super().check_modification(
            mode, logs, values=values, external=external)
        # Append-only: even the administrator cannot rewrite the trail.
        if mode in {'write', 'delete'} and external:
            raise AccessError(gettext('ev_partner.msg_audit_log_readonly'))
