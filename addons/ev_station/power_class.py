# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pyson import Eval, If
from trytond.transaction import without_check_access

from .exceptions import ReferenceValidationError


class PowerClass(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'ev.power.class'
    __string__ = "EV Power Class"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True, strip=True,
        help="A stable key, used by the API and the reports.")
    current = fields.Selection([
            (None, "Any"),
            ('ac', "AC"),
            ('dc', "DC"),
            ], "Current",
        help="The current of the connectors in the class; leave empty for "
        "any.")
    min_power = fields.Numeric(
        "Minimum Power (kW)", digits=(16, 1),
        domain=['OR',
            ('min_power', '=', None),
            ('min_power', '>=', 0),
            ],
        help="The lowest power of the class, included. Leave empty for no "
        "lower bound.")
    max_power = fields.Numeric(
        "Maximum Power (kW)", digits=(16, 1),
        domain=['OR',
            ('max_power', '=', None),
            If(Eval('min_power', None) != None,  # noqa: E711
                ('max_power', '>=', Eval('min_power', 0)),
                ('max_power', '>', 0)),
            ],
        help="The highest power of the class, included. Leave empty for no "
        "upper bound.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'ev_station.msg_power_class_code_unique'),
            ]

    def contains(self, current, power):
        "Return True when a connector of current and power is in the class"
        if power is None:
            return False
        if self.current and self.current != current:
            return False
        if self.min_power is not None and power < self.min_power:
            return False
        if self.max_power is not None and power > self.max_power:
            return False
        return True

    @classmethod
    def find(cls, current, power, classes=None):
        "Return the class of a connector of current and power, or None"
        if classes is None:
            with without_check_access():
                classes = cls.search([])
        for class_ in classes:
            if class_.contains(current, power):
                return class_
        return None

    def connector_domain(self, prefix=''):
        "Return the domain of the connectors in the class"
        domain = []
        if self.current:
            domain.append((prefix + 'type.current', '=', self.current))
        if self.min_power is not None:
            domain.append((prefix + 'max_power', '>=', self.min_power))
        if self.max_power is not None:
            domain.append((prefix + 'max_power', '<=', self.max_power))
        return domain or [(prefix + 'id', '!=', None)]

    def _overlaps(self, other):
        if self.current and other.current and self.current != other.current:
            return False
        low = max(
            (p for p in [self.min_power, other.min_power] if p is not None),
            default=None)
        high = min(
            (p for p in [self.max_power, other.max_power] if p is not None),
            default=None)
        return low is None or high is None or low <= high

    @classmethod
    def validate(cls, classes):
        super().validate(classes)
        cls.check_overlap(classes)

    @classmethod
    def check_overlap(cls, classes):
        "Raise when two active classes could both hold a connector"
        others = cls.search([])
        for class_ in classes:
            if not class_.active:
                continue
            for other in others:
                if other != class_ and class_._overlaps(other):
                    raise ReferenceValidationError(gettext(
                            'ev_station.msg_power_class_overlap',
                            power_class=class_.rec_name,
                            other=other.rec_name))

    @classmethod
    def search_connectors(cls, name, clause, prefix=''):
        """Return the domain of the connectors (through prefix) whose power
        class matches clause, a domain clause on the class field name"""
        # The bounds apply to one connector: with a prefix through a
        # One2Many, wrap the domain in a 'where' clause.
        field, operator, value = clause[:3]
        nested = field[len(name) + 1:]
        if nested:
            domain = [(nested, operator, value, *clause[3:])]
        elif isinstance(value, str) or (
                isinstance(value, (list, tuple))
                and any(isinstance(v, str) for v in value)):
            domain = [('rec_name', operator, value)]
        else:
            domain = [('id', operator, value)]
        with without_check_access():
            classes = cls.search([])
            matched = cls.search(domain) if value is not None else []
        if value is None and not nested:
            # No class: outside every class.
            negated = ['AND']
            for class_ in classes:
                negated.append(['OR'] + [
                        _negate(c)
                        for c in class_.connector_domain(prefix)])
            if operator in {'=', 'in'}:
                return negated
            return ['OR'] + [c.connector_domain(prefix) for c in classes]
        if not matched:
            return [(prefix + 'id', '=', None)]
        return ['OR'] + [c.connector_domain(prefix) for c in matched]


def _negate(clause):
    name, operator, value = clause
    return (name, {
            '=': '!=', '!=': '=', '>=': '<', '<=': '>',
            }[operator], value)
