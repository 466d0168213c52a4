"""pycparser: a C parser with generated parser tables."""

from pycparser import c_generator, c_parser

ast = c_parser.CParser().parse("int add(int a, int b) { return a + b * 2; } struct s { char *p; };")
print([type(n).__name__ for n in ast.ext])
print(c_generator.CGenerator().visit(ast))
