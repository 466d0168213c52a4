"""openpyxl: writes and reads an xlsx in memory (et_xmlfile, XML templates)."""

import io

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

wb = Workbook()
ws = wb.active
ws.title = "data"
ws.append(["name", "n"])
ws.append(["ada", 3])
ws["C2"] = "=B2*2"
ws["A1"].font = Font(bold=True)
buf = io.BytesIO()
wb.save(buf)
buf.seek(0)
back = load_workbook(buf)
print(
    back.sheetnames,
    [[c.value for c in row] for row in back["data"].iter_rows()],
    back["data"]["A1"].font.b,
)
