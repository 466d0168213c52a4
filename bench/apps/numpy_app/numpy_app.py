"""A numpy app: a small linear solve."""

import numpy as np


def main() -> None:
    matrix = np.array([[3.0, 1.0], [1.0, 2.0]])
    solution = np.linalg.solve(matrix, np.array([9.0, 8.0]))
    print("solution:", np.round(solution, 6).tolist())
    print("mean:", float(np.arange(10).mean()))


if __name__ == "__main__":
    main()
