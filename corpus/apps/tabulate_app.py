"""tabulate: table formats including wide characters (wcwidth when present)."""

from tabulate import tabulate

rows = [["apple", 3, 1.5], ["梨", 12, 0.25]]
for fmt in ("github", "grid", "latex"):
    print(tabulate(rows, headers=["name", "n", "price"], tablefmt=fmt))
