"""typer: click underneath, rich-formatted help."""

import typer
from typer.testing import CliRunner

app = typer.Typer()


@app.command()
def main(name: str, count: int = 1, shout: bool = False):
    for _ in range(count):
        typer.echo(name.upper() if shout else name)


runner = CliRunner()
print(runner.invoke(app, ["frozen", "--count", "2", "--shout"]).output, end="")
print("Usage" in runner.invoke(app, ["--help"], terminal_width=80).output)
