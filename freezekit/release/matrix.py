"""The matrix cells (OS x arch/bitness x Python), read from matrix/cells.toml.

cells = every ``[[platform]]`` x every ``python``, minus the ``[[exclude]]`` entries. The same
cells drive ``nox -s freeze``, the GitHub workflows and ``invoke release``.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from freezekit.errors import OptionsError
from freezekit.platforms import Os
from freezekit.release.interpreters import HostPlatform, Interpreter, describe_search

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

# the one copy in git is the repository's matrix/cells.toml; setup.py's build_py writes the
# package copy into wheels and sdist installs (an editable install reads the repository's)
PACKAGE_MATRIX = Path(__file__).resolve().parent / "cells.toml"
REPO_MATRIX = Path(__file__).resolve().parents[2] / "matrix" / "cells.toml"
_PLATFORM_KEYS = {"os": str, "arch": str, "bits": int, "runner": str, "cibw_platform": str}
_EXCLUDE_KEYS = {"os", "arch", "python", "reason"}
_PYTHON = re.compile(r"^3\.\d+$")

# actions/setup-python's ``architecture`` for each cell arch
SETUP_PYTHON_ARCH = {"x86_64": "x64", "i686": "x86", "aarch64": "arm64", "arm64": "arm64"}

Finder = Callable[[str, int], "Interpreter | None"]


@dataclass(frozen=True, kw_only=True)
class Cell:
    """One matrix combination, e.g. ``linux-x86_64-3.12``."""

    name: str
    os: Os
    arch: str  # x86_64, i686, aarch64, arm64
    bits: int
    python: str  # "3.12"
    runner: str  # the GitHub Actions runner label
    cibw_id: str  # cibuildwheel build identifier, e.g. cp312-manylinux_x86_64

    def to_dict(self) -> dict[str, object]:
        """The cell as plain JSON data (the workflow matrix and the artifact manifest)."""
        return {
            "name": self.name,
            "os": self.os.value,
            "arch": self.arch,
            "bits": self.bits,
            "python": self.python,
            "runner": self.runner,
            "cibw_id": self.cibw_id,
        }

    @property
    def python_tag(self) -> str:
        """``py312``: the Python part of an artifact name."""
        return "py" + self.python.replace(".", "")


def default_matrix_path() -> Path:
    """The repository's matrix/cells.toml, or the copy shipped in the package."""
    return REPO_MATRIX if REPO_MATRIX.is_file() else PACKAGE_MATRIX


def load_matrix(path: Path | None = None) -> list[Cell]:
    """Read and expand a cells file (default: see default_matrix_path)."""
    path = path or default_matrix_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OptionsError(
            f"cannot read matrix file {path}: {exc.strerror}",
            hint="run from the repository root or pass the path of cells.toml",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise OptionsError(f"matrix file {path} is not valid TOML: {exc}") from exc
    return parse_matrix(data, source=str(path))


def _field(table: Mapping[str, object], key: str, kind: type, where: str) -> object:
    if key not in table:
        raise OptionsError(f"{where}: missing key {key!r}", hint="see matrix/cells.toml's header")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise OptionsError(
            f"{where}: key {key!r} must be a {kind.__name__}, not {value!r}",
            hint="see matrix/cells.toml's header",
        )
    return value


def _tables(data: Mapping[str, object], key: str, source: str) -> list[Mapping[str, object]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise OptionsError(f"{source}: {key!r} must be an array of tables ([[{key}]])")
    return value


def _pythons(data: Mapping[str, object], source: str) -> list[str]:
    pythons = data.get("python")
    if not isinstance(pythons, list) or not pythons:
        raise OptionsError(f"{source}: key 'python' must be a non-empty list like [\"3.12\"]")
    for python in pythons:
        if not isinstance(python, str) or not _PYTHON.match(python):
            raise OptionsError(f"{source}: key 'python' has {python!r}; expected \"3.X\"")
    return list(pythons)


def _excluded(exclude: Sequence[Mapping[str, object]], os_: str, arch: str, python: str) -> bool:
    values = {"os": os_, "arch": arch, "python": python}
    return any(
        all(entry[key] == values[key] for key in ("os", "arch", "python") if key in entry)
        for entry in exclude
    )


def _check_excludes(exclude: Sequence[Mapping[str, object]], source: str) -> None:
    for index, entry in enumerate(exclude):
        where = f"{source}: exclude[{index}]"
        unknown = sorted(set(entry) - _EXCLUDE_KEYS)
        if unknown:
            raise OptionsError(
                f"{where}: unknown key {unknown[0]!r}", hint="use os, arch, python, reason"
            )
        _field(entry, "reason", str, where)


def parse_matrix(data: Mapping[str, object], *, source: str = "cells.toml") -> list[Cell]:
    """Expand the parsed TOML into cells; errors name the file and the key."""
    if data.get("schema") != 1:
        raise OptionsError(f"{source}: key 'schema' must be 1, not {data.get('schema')!r}")
    pythons = _pythons(data, source)
    exclude = _tables(data, "exclude", source)
    _check_excludes(exclude, source)
    cells: list[Cell] = []
    for index, table in enumerate(_tables(data, "platform", source)):
        where = f"{source}: platform[{index}]"
        unknown = sorted(set(table) - set(_PLATFORM_KEYS))
        if unknown:
            raise OptionsError(
                f"{where}: unknown key {unknown[0]!r}", hint=f"use {', '.join(_PLATFORM_KEYS)}"
            )
        fields = {key: _field(table, key, kind, where) for key, kind in _PLATFORM_KEYS.items()}
        try:
            os_ = Os(fields["os"])
        except ValueError:
            raise OptionsError(
                f"{where}: key 'os' is {fields['os']!r}", hint="use linux, macos or windows"
            ) from None
        arch, bits = str(fields["arch"]), int(str(fields["bits"]))
        if arch not in SETUP_PYTHON_ARCH:
            raise OptionsError(
                f"{where}: key 'arch' is {arch!r}", hint=f"use {', '.join(SETUP_PYTHON_ARCH)}"
            )
        if bits not in (32, 64):
            raise OptionsError(f"{where}: key 'bits' is {bits}; expected 32 or 64")
        for python in pythons:
            if _excluded(exclude, os_.value, arch, python):
                continue
            cells.append(
                Cell(
                    name=f"{os_.value}-{arch}-{python}",
                    os=os_,
                    arch=arch,
                    bits=bits,
                    python=python,
                    runner=str(fields["runner"]),
                    cibw_id=f"cp{python.replace('.', '')}-{fields['cibw_platform']}",
                )
            )
    _check_unique(cells, source)
    return cells


def _check_unique(cells: Sequence[Cell], source: str) -> None:
    seen: set[str] = set()
    for cell in cells:
        if cell.name in seen:
            raise OptionsError(f"{source}: cell {cell.name} is declared twice")
        seen.add(cell.name)
    if not cells:
        raise OptionsError(f"{source}: declares no cells", hint="add a [[platform]] table")


def find_cell(name: str, cells: Sequence[Cell] | None = None) -> Cell:
    cells = load_matrix() if cells is None else cells
    for cell in cells:
        if cell.name == name:
            return cell
    raise OptionsError(
        f"unknown matrix cell {name!r}",
        hint="the cells are: " + ", ".join(cell.name for cell in cells),
    )


def select_cells(cells: Sequence[Cell], patterns: Iterable[str]) -> list[Cell]:
    """The cells whose names match any glob pattern (``linux-*``, ``*-3.12``)."""
    patterns = list(patterns)
    chosen = [cell for cell in cells if any(fnmatch.fnmatchcase(cell.name, p) for p in patterns)]
    if patterns and not chosen:
        raise OptionsError(
            f"no matrix cell matches {' '.join(patterns)!r}",
            hint="the cells are: " + ", ".join(cell.name for cell in cells),
        )
    return chosen


def can_host(cell: Cell, host: HostPlatform) -> str | None:
    """None when ``host`` can build ``cell`` (given an interpreter), else the reason."""
    if cell.os is not host.os:
        return f"needs a {cell.os.value} host (CI runner {cell.runner})"
    if cell.arch == host.arch or (host.arch == "x86_64" and cell.arch == "i686"):
        return None
    return f"needs a {cell.os.value}/{cell.arch} host (CI runner {cell.runner})"


def host_cells(
    cells: Sequence[Cell], *, host: HostPlatform | None = None, find: Finder | None = None
) -> list[tuple[Cell, str | None]]:
    """Each cell with None (runnable here) or the reason it is not."""
    from freezekit.release.interpreters import host_platform

    host = host or host_platform()
    result: list[tuple[Cell, str | None]] = []
    for cell in cells:
        reason = can_host(cell, host)
        if reason is None:
            reason = interpreter_problem(cell, host, find)
        result.append((cell, reason))
    return result


def interpreter_problem(cell: Cell, host: HostPlatform, find: Finder | None = None) -> str | None:
    """None when the cell's interpreter is found here: the cell's Python and bitness, built
    for the cell's OS and machine (a Linux Python never freezes a Windows or macOS cell)."""
    from freezekit.release.interpreters import find_interpreter

    found = (
        find(cell.python, cell.bits)
        if find is not None
        else find_interpreter(cell.python, cell.bits, host=host, os_=cell.os, arch=cell.arch)
    )
    if found is None:
        return describe_search(cell.python, cell.bits, windows=host.os is Os.WINDOWS)
    return found.mismatch(cell.os, cell.arch)


def github_matrix(cells: Sequence[Cell]) -> dict[str, list[dict[str, object]]]:
    """What ``strategy.matrix: ${{ fromJSON(...) }}`` takes: ``{"include": [...]}``."""
    return {
        "include": [
            {**cell.to_dict(), "setup_python_arch": SETUP_PYTHON_ARCH[cell.arch]} for cell in cells
        ]
    }


def format_matrix_table(
    cells: Sequence[Cell], reasons: Mapping[str, str | None] | None = None
) -> str:
    """A plain text table of the cells; with ``reasons``, a column saying if the host runs it."""
    header = ["cell", "os", "arch", "bits", "python", "runner", "cibuildwheel"]
    rows = [[c.name, c.os.value, c.arch, str(c.bits), c.python, c.runner, c.cibw_id] for c in cells]
    if reasons is not None:
        header.append("here")
        for row, cell in zip(rows, cells, strict=True):
            reason = reasons.get(cell.name)
            row.append("yes" if reason is None else f"no: {reason}")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)
