"""click: a command group with options, run in-process through its test runner."""

import click
from click.testing import CliRunner


@click.group()
def cli():
    pass


@cli.command()
@click.option("--count", default=1, type=int)
@click.argument("name")
def hello(count, name):
    for _ in range(count):
        click.echo(f"hello {name}")


result = CliRunner().invoke(cli, ["hello", "--count", "2", "frozen"])
print(result.output, end="")
print(CliRunner().invoke(cli, ["--help"]).output.splitlines()[0])
