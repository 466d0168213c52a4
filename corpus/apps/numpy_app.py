"""numpy: its extension modules, OpenBLAS in numpy.libs, random generators."""

import numpy as np

a = np.array([[3.0, 1.0], [1.0, 2.0]])
print(np.linalg.solve(a, [9, 8]).round(6).tolist(), round(float(np.linalg.det(a)), 6))
print(np.fft.fft([1, 0, 0, 0]).real.tolist())
rng = np.random.default_rng(42)
print(rng.integers(0, 100, 5).tolist())
print(np.datetime64("2024-03-14") + np.timedelta64(3, "D"))
print(np.array(["a", "bb"]).astype("U3").dtype, np.float16(1.5) * 2)
