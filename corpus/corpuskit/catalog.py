"""The corpus apps: corpus/apps/<app>_app.py, each a few lines that use one package's data,
plugins or extensions and print a deterministic result. The module docstring's first line is
`package: what it tests`; which apps are also frozen onefile, and which get longer limits,
is listed here."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parents[1]
APPS_DIR = CORPUS_DIR / "apps"
REQUIREMENTS = CORPUS_DIR / "requirements.txt"
PYINSTALLER_REQUIREMENTS = CORPUS_DIR / "requirements-pyinstaller.txt"
REASONS = CORPUS_DIR / "reasons.toml"

#: frozen onefile too (about a third): data files and extensions read from the extracted
#: folder, locale data, plugins, and the larger bundles.
ONEFILE = frozenset(
    {
        "babel",
        "humanize",
        "pendulum",
        "pytz",
        "jsonschema",
        "docutils",
        "markdown",
        "faker",
        "phonenumbers",
        "certifi",
        "pydantic",
        "orjson",
        "black",
        "lxml",
        "sqlalchemy",
        "cryptography",
        "pillow",
        "numpy",
        "emoji",
        "unidecode",
        "pycountry",
        "holidays",
        "dateparser",
        "pint",
        "dnspython",
        "pycryptodome",
        "pyproj",
        "shapely",
        "tzdata",
        "pyphen",
        "django",
    }
)
#: big bundles: longer build and run limits (a onefile start extracts hundreds of MB)
HEAVY = frozenset(
    ["pandas", "scipy", "sklearn", "skimage", "sympy", "django", "gevent", "pyproj", "faker"]
)
BUILD_TIMEOUT, HEAVY_BUILD_TIMEOUT = 600.0, 1500.0
RUN_TIMEOUT, HEAVY_RUN_TIMEOUT = 90.0, 240.0

#: `--smoke`: small pure-Python packages, freezekit onedir only, each venv a few seconds to
#: make; the distributions they need (filtered from requirements.txt).
SMOKE = {"colorama": ("colorama",), "tabulate": ("tabulate",), "unidecode": ("unidecode",)}


@dataclass(frozen=True, kw_only=True)
class CorpusApp:
    name: str  # corpus/apps/<name>_app.py
    package: str
    tests: str
    script: Path
    onefile: bool
    build_timeout: float
    run_timeout: float


def _describe(script: Path) -> tuple[str, str]:
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    package, sep, tests = first.partition(":")
    if not sep:
        raise ValueError(f"{script}: the docstring's first line must be 'package: what it tests'")
    return package.strip(), tests.strip().rstrip(".")


def load_apps(apps_dir: Path = APPS_DIR) -> list[CorpusApp]:
    apps = []
    for script in sorted(apps_dir.glob("*_app.py")):
        name = script.name.removesuffix("_app.py")
        package, tests = _describe(script)
        heavy = name in HEAVY
        apps.append(
            CorpusApp(
                name=name,
                package=package,
                tests=tests,
                script=script,
                onefile=name in ONEFILE,
                build_timeout=HEAVY_BUILD_TIMEOUT if heavy else BUILD_TIMEOUT,
                run_timeout=HEAVY_RUN_TIMEOUT if heavy else RUN_TIMEOUT,
            )
        )
    return apps


def select(apps: list[CorpusApp], names: list[str]) -> list[CorpusApp]:
    """The apps named (by app name or package name); ValueError naming the unknown ones."""
    known = {a.name: a for a in apps} | {a.package: a for a in apps}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"unknown corpus app(s) {', '.join(unknown)}; choose from "
            + ", ".join(a.name for a in apps)
        )
    chosen = {known[n].name for n in names}
    return [a for a in apps if a.name in chosen]


def requirement_lines(requirements: str, dists: set[str]) -> list[str]:
    """The pinned lines of `requirements` for the given distribution names (any spelling)."""

    def norm(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    wanted = {norm(d) for d in dists}
    lines = []
    for line in requirements.splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        name = spec.split("==", 1)[0].split(";", 1)[0].split("[", 1)[0].strip()
        if norm(name) in wanted:
            lines.append(spec)
    return lines
