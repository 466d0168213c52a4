"""The smallest app: `freezekit build examples/hello/hello.py` gives dist/hello/hello."""

import sys

print(f"hello from {'a frozen app' if getattr(sys, 'frozen', False) else 'Python'}")
