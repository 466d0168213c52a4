"""black (compiled with mypyc: black/__init__ is an extension module) formats a snippet."""

import black

source = "def f( a,b ):\n  return {'x':a+b}\n"
print(black.format_str(source, mode=black.Mode()), end="")
print("compiled", black.__file__.endswith(".so"))
