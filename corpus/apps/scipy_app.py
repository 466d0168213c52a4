"""scipy: lazily loaded submodules and many extension modules (Fortran, Cython, C++)."""

import numpy as np
import scipy
from scipy import integrate, linalg, optimize, sparse, special, stats
from scipy.spatial import KDTree

print(round(integrate.quad(np.sin, 0, np.pi)[0], 6))
print(np.round(linalg.solve([[3, 1], [1, 2]], [9, 8]), 6).tolist())
print(round(optimize.brentq(lambda x: x**3 - 2, 0, 2), 6))
print(sparse.eye(3, format="csr").nnz, round(float(special.gamma(5.5)), 4))
print(round(float(stats.norm.cdf(1.96)), 4), round(float(stats.t.ppf(0.975, 10)), 4))
print(KDTree([[0, 0], [1, 1], [2, 2]]).query([1.1, 1.0])[1])
print(round(float(scipy.fft.fft([1, 2, 3, 4])[1].imag), 6))
print(scipy.signal.medfilt([1, 5, 2, 8, 3], 3).tolist())
