"""docutils: readers, parsers and writers loaded by name; language modules."""

from docutils.core import publish_string

SOURCE = """\
Title
=====

Some *emphasis* and a list:

- one
- two

.. note:: A note.
"""
html = publish_string(
    SOURCE,
    writer_name="html5",
    settings_overrides={"output_encoding": "unicode", "language_code": "de"},
)
print('<h1 class="title">Title</h1>' in html, "Hinweis" in html)
latex = publish_string(
    SOURCE, writer_name="latex", settings_overrides={"output_encoding": "unicode"}
)
print("\\emph{emphasis}" in latex)
pseudo = publish_string(
    SOURCE, writer_name="pseudoxml", settings_overrides={"output_encoding": "unicode"}
)
print(pseudo.splitlines()[0])
