project = "Frozen"
extensions = ["sphinx.ext.todo"]
todo_include_todos = True
html_theme = "alabaster"
