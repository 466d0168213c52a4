"""The smallest app: start-up cost of the freezer and the interpreter alone."""

print("hello")
