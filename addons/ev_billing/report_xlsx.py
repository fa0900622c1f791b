# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import re
from decimal import Decimal
from io import BytesIO

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from trytond.i18n import gettext
from trytond.model import Model
from trytond.modules.ev_partner.statistics import _date
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction, check_access

_NUMBER_FORMATS = {
    'integer': '#,##0',
    'kwh': '#,##0.000',
    'hours': '#,##0.00',
    'percent': '0.0%',
    }
_DATE_CODES = [
    ('%d', 'dd'), ('%m', 'mm'), ('%Y', 'yyyy'), ('%y', 'yy'),
    ('%b', 'mmm'), ('%B', 'mmmm'), ('%a', 'ddd'), ('%A', 'dddd'),
    ]


def _excel_date_format(format_):
    "Return the Excel number format of a strftime date format"
    for code, excel in _DATE_CODES:
        format_ = format_.replace(code, excel)
    return format_.replace('%%', '%')


def _sheet_name(title):
    "Return title as Excel allows a sheet name"
    return re.sub(r'[\[\]:*?/\\]', ' ', title)[:31] or 'Sheet1'


class XlsxReport(Report):
    """Write the rows of a billing report, under the filters of the context,
    as an Excel workbook

    The rows are read through the ORM as the calling user: the access rights
    and record rules that confine the report's view confine its workbook.
    The workbook holds every row of the filters, whatever the selection."""
    # The model of the rows
    _model = None
    # The XML id of the action that opens the report, for the title
    _title = None
    # (field, kind, total): kind in text, date, integer, kwh, hours,
    # percent or money; total None, 'sum' or a name for _total.
    _columns = []
    _context_model = 'ev.billing.report.context'
    _filters = [
        'company', 'from_date', 'to_date', 'period', 'partner', 'station',
        'client_party']

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        action_id = data.get('action_id')
        if action_id is None:
            action, = ActionReport.search([
                    ('report_name', '=', cls.__name__),
                    ], limit=1)
        else:
            action = ActionReport(action_id)
        cls.check_access(action, cls._model, ids)
        title = cls._get_title()
        with check_access():
            Row = pool.get(cls._model)
            records = Row.search([])
            content = cls.render_xlsx(title, records)
        return ('xlsx', content, False, cls._get_filename(title))

    @classmethod
    def _get_title(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action.act_window')
        module, name = cls._title.split('.')
        return Action(ModelData.get_id(module, name)).name

    @classmethod
    def _get_filename(cls, title):
        context = Transaction().context
        dates = [_date(context.get(n)) for n in ['from_date', 'to_date']]
        dates = [d.isoformat() if d else '' for d in dates]
        if any(dates):
            title = '%s %s_%s' % (title, *dates)
        return title

    @classmethod
    def _get_filters(cls):
        "Return the (label, value) of the filters of the context"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Context = pool.get(cls._context_model)
        lang = Lang.get()
        context = Transaction().context
        definitions = Context.fields_get(cls._filters)
        filters = []
        for name in cls._filters:
            value = context.get(name)
            if value is None or value == '':
                continue
            definition = definitions[name]
            type_ = definition['type']
            if type_ == 'date':
                value = lang.strftime(_date(value))
            elif type_ == 'selection':
                value = dict(definition['selection']).get(value, value)
            elif type_ == 'many2one':
                Target = pool.get(definition['relation'])
                value = Target(int(value)).rec_name
            filters.append((definition['string'], str(value)))
        return filters

    @classmethod
    def _total(cls, name, records):
        "Return the total of the column name that does not sum"
        return None

    @classmethod
    def _value(cls, record, name, kind):
        value = getattr(record, name)
        if isinstance(value, Model):
            return value.rec_name
        if kind == 'date' and value:
            return dt.datetime.combine(value, dt.time())
        if isinstance(value, Decimal):
            return float(value)
        return value

    @classmethod
    def render_xlsx(cls, title, records):
        pool = Pool()
        Lang = pool.get('ir.lang')
        Row = pool.get(cls._model)
        lang = Lang.get()
        names = [c[0] for c in cls._columns]
        definitions = Row.fields_get(names)

        output = BytesIO()
        workbook = xlsxwriter.Workbook(output, {
                'in_memory': True,
                'strings_to_numbers': False,
                'strings_to_formulas': False,
                })
        sheet = workbook.add_worksheet(_sheet_name(title))
        formats = {}

        def format_(kind, digits=2, total=False):
            key = (kind, digits, total)
            if key not in formats:
                properties = {}
                if kind == 'money':
                    properties['num_format'] = (
                        '#,##0.' + '0' * digits if digits else '#,##0')
                elif kind == 'date':
                    properties['num_format'] = _excel_date_format(lang.date)
                elif kind in _NUMBER_FORMATS:
                    properties['num_format'] = _NUMBER_FORMATS[kind]
                if total:
                    properties.update({'bold': True, 'top': 1})
                formats[key] = workbook.add_format(properties)
            return formats[key]

        sheet.write(0, 0, title, workbook.add_format({
                    'bold': True, 'font_size': 14}))
        row = 1
        label_format = workbook.add_format({'bold': True})
        for label, value in cls._get_filters():
            sheet.write(row, 0, label, label_format)
            sheet.write(row, 1, value)
            row += 1
        row += 1

        heading = workbook.add_format({
                'bold': True, 'text_wrap': True, 'valign': 'top',
                'bottom': 1})
        for column, name in enumerate(names):
            sheet.write(row, column, definitions[name]['string'], heading)
            width = 12 if cls._columns[column][1] != 'text' else 24
            sheet.set_column(column, column, width)
        sheet.freeze_panes(row + 1, 0)
        header_row = row
        row += 1
        first = row
        digits = 2
        for record in records:
            currency = getattr(record, 'currency', None)
            if currency:
                digits = currency.digits
            for column, (name, kind, _) in enumerate(cls._columns):
                value = cls._value(record, name, kind)
                if value is None:
                    sheet.write_blank(row, column, None, format_(kind, digits))
                elif kind == 'date':
                    sheet.write_datetime(
                        row, column, value, format_(kind, digits))
                else:
                    sheet.write(row, column, value, format_(kind, digits))
            row += 1
        last = row - 1
        if records:
            sheet.autofilter(header_row, 0, last, len(names) - 1)

        sheet.write(row, 0, gettext('ev_billing.msg_report_total'),
            format_('text', total=True))
        for column, (name, kind, total) in enumerate(cls._columns):
            if not column:
                continue
            fmt = format_(kind, digits, total=True)
            if total == 'sum':
                value = sum(
                    (getattr(r, name) or 0 for r in records), Decimal(0))
                value = float(value)
                if records:
                    sheet.write_formula(row, column, '=SUM(%s:%s)' % (
                            xl_rowcol_to_cell(first, column),
                            xl_rowcol_to_cell(last, column)),
                        fmt, value)
                else:
                    sheet.write_number(row, column, value, fmt)
            elif total:
                value = cls._total(total, records)
                if value is None:
                    sheet.write_blank(row, column, None, fmt)
                else:
                    sheet.write(row, column, value, fmt)
            else:
                sheet.write_blank(row, column, None, fmt)
        workbook.close()
        return output.getvalue()
