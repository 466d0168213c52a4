"""markdown: extensions found by name and through entry points."""

import markdown

TEXT = """\
[TOC]

# Title

| a | b |
|---|---|
| 1 | 2 |

```python
print("hi")
```

Term
:   Definition
"""
html = markdown.markdown(
    TEXT, extensions=["toc", "tables", "fenced_code", "def_list", "markdown.extensions.abbr"]
)
print(html)
