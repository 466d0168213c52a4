"""xlsxwriter: writes an xlsx with a chart into memory."""

import io
import zipfile

import xlsxwriter

buf = io.BytesIO()
wb = xlsxwriter.Workbook(buf, {"in_memory": True})
ws = wb.add_worksheet("data")
ws.write_row(0, 0, ["a", "b"])
ws.write_column(1, 0, [1, 2, 3])
chart = wb.add_chart({"type": "line"})
chart.add_series({"values": "=data!$A$2:$A$4"})
ws.insert_chart("C1", chart)
wb.close()
names = sorted(zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist())
print([n for n in names if "chart" in n or "sheet" in n])
