from freezekit.cli import run

run()
