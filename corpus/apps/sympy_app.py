"""sympy: a large pure-Python package with modules imported at run time (printing, solvers)."""

import sympy as sp

x = sp.symbols("x")
print(sp.integrate(sp.sin(x) ** 2, x))
print(sp.solve(x**2 - 5 * x + 6, x))
print(sp.series(sp.exp(x), x, 0, 4))
print(sp.latex(sp.Rational(3, 4) * sp.sqrt(x)))
print(sp.Matrix([[1, 2], [3, 4]]).inv())
print(sp.nsimplify(0.125), sp.N(sp.pi, 20))
