"""freezekit example: count words in parallel and greet with a bundled data file."""

__version__ = "1.0.0"
