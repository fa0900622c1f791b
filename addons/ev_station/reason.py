# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.transaction import without_check_access


class Reason(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'ev.reason'
    __string__ = "EV Stop or Refusal Reason"

    kind = fields.Selection([
            ('stop', "Stop"),
            ('refusal', "Refusal"),
            ], "Kind", required=True, sort=False,
        help="Stop: why a session ended. Refusal: why a charge or a "
        "charger was refused.")
    code = fields.Char(
        "Code", required=True, strip=True,
        help="The key the platform records: a session's stop reason, or "
        "the status answered to the charger.")
    name = fields.Char("Name", required=True, translate=True)
    explanation = fields.Text(
        "Client Explanation", translate=True,
        help="What the driver is told, in their language.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('kind_code_unique', Unique(t, t.kind, t.code),
                'ev_station.msg_reason_code_unique'),
            ]
        cls._order = [('kind', 'ASC'), ('code', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_kind(cls):
        return 'stop'

    def get_rec_name(self, name):
        return '%s [%s]' % (self.name, self.code)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('code', operator, operand, *extra),
            ]

    @classmethod
    def get(cls, kind, codes):
        """Return a dictionary of the active reasons of kind by code, read
        in the language of the context"""
        codes = [c for c in set(codes) if c]
        if not codes:
            return {}
        with without_check_access():
            return {r.code: r for r in cls.search([
                        ('kind', '=', kind),
                        ('code', 'in', codes),
                        ])}
