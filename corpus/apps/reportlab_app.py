"""reportlab: rl_settings imported by name, bundled fonts (Type 1 AFM data), C accelerators."""

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.rl_config import defaultPageSize

buf = io.BytesIO()
c = canvas.Canvas(buf, pagesize=A4, invariant=1)
c.setFont("Helvetica-Bold", 14)
c.drawString(72, 720, "Frozen PDF")
c.setFont("Times-Roman", 10)
c.drawString(72, 700, "text")
c.showPage()
c.save()
data = buf.getvalue()
print(data[:8], len(data) > 500, b"Helvetica-Bold" in data)
print(
    round(stringWidth("Hello", "Helvetica", 12), 2), round(stringWidth("Hello", "Courier", 12), 2)
)
print(defaultPageSize)
