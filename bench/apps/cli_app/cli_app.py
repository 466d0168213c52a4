"""A rich + click command-line tool."""

import click
from rich import box
from rich.console import Console
from rich.table import Table


@click.command()
@click.option("--count", default=3, show_default=True, help="rows to show")
def main(count: int) -> None:
    table = Table(title="squares", box=box.ASCII)
    table.add_column("n", justify="right")
    table.add_column("n squared", justify="right")
    for n in range(1, count + 1):
        table.add_row(str(n), str(n * n))
    Console(width=40, color_system=None, force_terminal=False).print(table)


if __name__ == "__main__":
    main()
