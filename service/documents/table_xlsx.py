"""One table as an Excel workbook (openpyxl): a title line, bold headers, the rows, cells filled by tone.
The overview's exports (督导看板) build their rows in web/ and write them here."""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter


def table_xlsx(sheet_title: str, title_line: str, head: list, rows: list[list], tones: list[list] | None = None,
               fills: dict[str, str] | None = None) -> bytes:
    """The ``.xlsx`` bytes of one sheet: ``title_line`` in A1, ``head`` in row 2, ``rows`` below; a cell whose
    tone (same shape as ``rows``) names a colour in ``fills`` (tone → RGB hex) is filled with it."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    sheet.append([title_line])
    sheet["A1"].font = Font(bold=True)
    sheet.append(head)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    fills = fills or {}
    for i, row in enumerate(rows):
        sheet.append(row)
        for j, tone in enumerate((tones or [[]] * len(rows))[i]):
            if tone in fills:
                sheet.cell(row=i + 3, column=j + 1).fill = PatternFill("solid", fgColor=fills[tone])
    for j, title in enumerate(head, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = max(8, min(30, 2 * len(str(title)) + 2))
    sheet.freeze_panes = "B3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
