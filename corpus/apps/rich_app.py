"""rich: tables, syntax highlighting (pygments lexers by name), unicode width tables, emoji."""

from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

console = Console(width=60, color_system=None, force_terminal=False, record=True)
table = Table(title="Fruit")
table.add_column("name")
table.add_column("count", justify="right")
table.add_row("apple", "3")
table.add_row("梨", "12")
console.print(table)
console.print(Syntax("def f(x):\n    return x + 1\n", "python", line_numbers=True))
console.print(":snake: :thumbs_up:")
print(console.export_text(styles=False).count("\n"))
