"""python-docx: its default document template (a .docx data file) and XML parts."""

import io

import docx

doc = docx.Document()
doc.add_heading("Frozen", level=1)
doc.add_paragraph("A paragraph with ").add_run("bold").bold = True
doc.add_table(rows=2, cols=2).cell(0, 0).text = "cell"
buf = io.BytesIO()
doc.save(buf)
buf.seek(0)
back = docx.Document(buf)
print(
    [p.text for p in back.paragraphs], back.tables[0].cell(0, 0).text, back.paragraphs[0].style.name
)
