"""black: a mypyc-compiled package whose __init__ is an extension module."""

import black

SOURCE = "def f(a,b):\n  return {'x':a,'y':b}\nx = [1,2,\n 3]\n"
print(black.format_str(SOURCE, mode=black.Mode()), end="")
print(black.format_str(SOURCE, mode=black.Mode(line_length=20, string_normalization=False)), end="")
print(black.__file__.endswith(".so") or black.__file__.endswith(".py"))
