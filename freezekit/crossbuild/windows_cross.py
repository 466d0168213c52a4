"""windows-x86_64 apps frozen on a Linux host, from python.org's embeddable CPython under wine.

PyInstaller refuses to cross-build; freezekit splits the work by what must run where:

* what must run the *target* interpreter runs python.exe under wine64 (the start-up probe, the
  import analysis worker, the bytecode compiler). ``wine_bridge`` writes a small host script
  that the Target uses as its ``python``: it starts python.exe under wine and turns the
  Windows paths of a JSON reply (``Z:\\work\\app\\x.py``, ``/work/app\\x.py``) back into host
  paths, so the rest of the build reads files as it always does;
* the standard library is the embeddable package's own compiled modules (``python3XY.zip``,
  unpacked as ``Lib/``): their code objects are bundled as they are, nothing is recompiled;
* machine code comes from the checked folder (``python3XY.dll``, ``.pyd``, OpenSSL, sqlite,
  libffi, ``vcruntime140*.dll``) and from Windows wheels of the app's dependencies
  (``pip download --platform win_amd64 --only-binary=:all:``); DLL imports are walked with
  lief under the Windows system-library policy;
* the bootloader is the mingw-w64 build of bootloader/ (console or windowed) against the
  target version's headers.

The layout is the Windows one: ``app.exe`` and ``_internal\\`` (``python3XY.dll``, the ``.pyd``
modules and DLLs at its top, next to each other, so Windows finds each module's DLLs in its
own folder), or one ``app.exe`` for onefile.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from freezekit.analysis import AnalysisResult, PureModule, analyze, write_warnings
from freezekit.analysis.binaries import policy_for, read_imports
from freezekit.assemble.plan import CollectPlan
from freezekit.build import BuildResult
from freezekit.errors import AnalysisError, OptionsError, ToolchainError
from freezekit.log import NullReporter, Reporter
from freezekit.options import BuildOptions, Mode
from freezekit.platforms import Os, Target
from freezekit.toc import EntryKind, TocEntry

from . import windows, windows_python
from .linux import start_build

logger = logging.getLogger(__name__)

#: target names: ``windows-x86_64-3.12``
_TARGET = re.compile(r"^windows-(x86_64|amd64)-(3\.\d+)$")
#: DLLs every CPython for Windows needs next to python3XY.dll (its own imports)
VC_RUNTIME = ("vcruntime140.dll", "vcruntime140_1.dll")
#: entry names Windows cannot create (with any extension), compared without case
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)


def parse_target(name: str) -> str:
    """``windows-x86_64-3.12`` -> ``3.12``; OptionsError for any other spelling."""
    match = _TARGET.match(name)
    if not match:
        raise OptionsError(
            f"unknown target {name!r}",
            hint="use windows-x86_64-3.11, -3.12 or -3.13 (cross-freezing from Linux)",
        )
    minor = match[2]
    windows_python.package_for(minor)
    return minor


def cross_problems(minor: str) -> list[str]:
    """What is missing to cross-freeze for windows-x86_64-``minor`` here (empty: ready), each
    naming the package or script that provides it."""
    problems = []
    if windows.find_wine() is None:
        problems.append(f"wine64 (Debian package wine64; `{windows.INSTALL_MINGW}`)")
    if shutil.which("x86_64-w64-mingw32-gcc") is None:
        problems.append(f"x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64; `{windows.INSTALL_MINGW}`)")
    for tool, package in (("cmake", "cmake"), ("ninja", "ninja-build")):
        if shutil.which(tool) is None:
            problems.append(f"{tool} ({package}; `{windows.INSTALL_MINGW}`)")
    if not (windows_python.install_folder(minor) / windows_python.MANIFEST).is_file():
        problems.append(
            f"the checked Windows CPython {minor} (`{windows_python.INSTALL_SCRIPT} {minor}`)"
        )
    if (
        header_source(minor) is None
        or not (windows.windows_root() / "include" / "python3.11" / "pyconfig.h").is_file()
    ):
        problems.append(
            f"CPython {minor} headers for the Windows bootloader (a Python {minor} on this host, "
            f"and the Windows pyconfig.h from `{windows.INSTALL_MINGW}`)"
        )
    return problems


# -- headers for the bootloader ----------------------------------------------------------------


def header_source(minor: str) -> Path | None:
    """A folder of CPython ``minor``'s public headers: Debian's source for 3.11 (unpacked by
    install-mingw.sh), else the headers of a Python ``minor`` installed on this host."""
    debian = windows.windows_root() / "include" / f"python{minor}"
    if (debian / "Python.h").is_file():
        return debian
    from freezekit.release.interpreters import find_interpreter

    found = find_interpreter(minor, 64)
    if found is None:
        return None
    from freezekit.platforms import probe_python

    include = Path(str(probe_python(found.path)["include"]))
    return include if (include / "Python.h").is_file() else None


def windows_headers(minor: str) -> Path:
    """CPython ``minor``'s headers as a Windows build sees them: the public headers plus
    PC/pyconfig.h (the Windows one, from Debian's 3.11 source: it describes the platform, not
    the version; the version is patchlevel.h's), composed once in the per-user cache."""
    source = header_source(minor)
    windows_config = windows.windows_root() / "include" / "python3.11" / "pyconfig.h"
    if source is None or not windows_config.is_file():
        raise ToolchainError(
            f"no CPython {minor} headers for the Windows bootloader",
            hint=f"run `{windows.INSTALL_MINGW}` and install a Python {minor} on this host",
        )
    if source.parent == windows.windows_root() / "include":
        return source  # already the Windows layout
    dest = windows_python.cache_root() / "include" / f"python{minor}"
    stamp = dest / ".source"
    if stamp.is_file() and stamp.read_text() == f"{source}\n{windows_config}":
        return dest
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial, symlinks=False)
    shutil.copyfile(windows_config, partial / "pyconfig.h")
    (partial / ".source").write_text(f"{source}\n{windows_config}")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(partial, dest)
    return dest


# -- the target interpreter under wine ---------------------------------------------------------

_BRIDGE = """#!{host_python}
# Written by freezekit: runs python.exe of a Windows CPython under wine64 (see
# freezekit/crossbuild/windows_cross.py); a JSON reply gets its Windows paths as host paths.
import json, os, subprocess, sys

WINE, EXE, PREFIX = {wine!r}, {exe!r}, {prefix!r}


def host(text):
    if len(text) > 2 and text[0] in "Zz" and text[1] == ":" and text[2] in "\\\\/":
        text = text[2:].replace("\\\\", "/")
    elif text.startswith("/") and "\\\\" in text:
        text = text.replace("\\\\", "/")
    if "/freezekit-shim-" in text:  # Windows does not see the shim's links: resolved here
        text = os.path.realpath(text)
    return text


def walk(value):
    if isinstance(value, str):
        return host(value)
    if isinstance(value, list):
        return [walk(v) for v in value]
    if isinstance(value, dict):
        return {{k: walk(v) for k, v in value.items()}}
    return value


env = dict(os.environ, WINEPREFIX=PREFIX, WINEDEBUG="-all")
env.pop("DISPLAY", None)
env.pop("WAYLAND_DISPLAY", None)
# a host cache folder is a Linux path: python.exe keeps its caches in the prefix's profile
env.pop("XDG_CACHE_HOME", None)
data = sys.stdin.buffer.read()
done = subprocess.run([WINE, EXE, *sys.argv[1:]], input=data, stdout=subprocess.PIPE, env=env)
if done.returncode == 0 and not done.stdout.strip() and data:
    # seen once in many runs while wine was still setting the prefix up: no reply at all
    sys.stderr.write("freezekit: python.exe gave no reply under wine; running it again\\n")
    done = subprocess.run([WINE, EXE, *sys.argv[1:]], input=data, stdout=subprocess.PIPE, env=env)
out = done.stdout
try:
    value = json.loads(out)
except ValueError:
    pass
else:
    out = json.dumps(walk(value)).encode()
sys.stdout.buffer.write(out)
sys.stdout.flush()
sys.exit(done.returncode)
"""


def wine_bridge(py: windows_python.WindowsPython, folder: Path, *, prefix: Path) -> Path:
    """The host script that runs ``py``'s python.exe under wine (the Target's ``python``)."""
    wine = windows.find_wine()
    if wine is None:
        raise ToolchainError(
            "cannot cross-freeze for Windows: wine64 is not installed",
            hint=f"run `{windows.INSTALL_MINGW}` as root (Debian package wine64)",
        )
    text = _BRIDGE.format(
        host_python=sys.executable, wine=str(wine), exe=str(py.exe), prefix=str(prefix)
    )
    path = folder / f"python{py.minor}-wine"
    folder.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text)
        partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        os.replace(partial, path)
    return path


def pyc_magic(py: windows_python.WindowsPython) -> bytes:
    for path in sorted(py.stdlib.glob("*.pyc"))[:1]:
        return path.read_bytes()[:4]
    raise windows_python.WindowsPythonError(f"no compiled modules in {py.stdlib}")


def windows_target(py: windows_python.WindowsPython, bridge: Path, include: Path) -> Target:
    major, minor = (int(part) for part in py.minor.split("."))
    return Target(
        os=Os.WINDOWS,
        machine="x86_64",
        bits=64,
        python=bridge,
        version=(major, minor),
        libpython=py.dll,
        stdlib=py.stdlib,
        dynload=py.folder,
        include=include,
        ext_suffix=f".cp{major}{minor}-win_amd64.pyd",
        pyc_magic=pyc_magic(py),
    )


def apps_prefix() -> Path:
    """The wine prefix Windows apps are built and run in (see platforms.executables)."""
    from freezekit.platforms.executables import APPS_WINEPREFIX

    return windows.default_prefix().with_name(APPS_WINEPREFIX)


@contextlib.contextmanager
def wine_running(prefix: Path) -> Iterator[None]:
    """A wineserver kept for the whole build (each python.exe start then takes ~0.1 s instead
    of seconds). The prefix is made on first use only; the server stays 30 s after its last
    program ends and is never killed here: other builds and tests may share the prefix."""
    wine = windows.find_wine()
    if wine is None:
        raise ToolchainError("wine64 not found", hint=windows.INSTALL_MINGW)
    server = shutil.which("wineserver") or str(wine.with_name("wineserver"))
    env = {**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all"}
    env.pop("DISPLAY", None)
    step = windows.wine_step
    if not (prefix / "system.reg").is_file():
        prefix.parent.mkdir(parents=True, exist_ok=True)
        step([str(wine), "wineboot", "-i"], env, prefix=prefix, what="wineboot -i", timeout=600)
    # -p30: persistent; a server already running for the prefix makes this one exit at once
    step([server, "-p30"], env, prefix=prefix, what="wineserver -p30", timeout=60)
    # the first program of a server starts wine's services (over a minute on a busy machine,
    # more than the analysis allows its first python.exe): started here, with time to spare
    step([str(wine), "cmd", "/c", "exit"], env, prefix=prefix, what="starting wine", timeout=600)
    yield


# -- the app's dependencies: Windows wheels ----------------------------------------------------


def fetch_windows_wheels(
    requirements: Sequence[str], minor: str, dest: Path, *, wheels: Path | None = None
) -> Path:
    """``requirements`` as Windows (win_amd64) wheels for CPython ``minor``, unpacked into
    ``dest`` (a sys.path folder); one line naming a distribution with no Windows wheel."""
    if not requirements:
        dest.mkdir(parents=True, exist_ok=True)
        return dest
    tag = minor.replace(".", "")
    wheels = wheels or dest.with_name(dest.name + "-wheels")
    wheels.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q"]
    command += ["--only-binary=:all:", "--platform", "win_amd64", "--python-version", minor]
    command += ["--implementation", "cp", "--abi", f"cp{tag}", "--abi", "abi3", "--abi", "none"]
    done = subprocess.run(
        [*command, "-d", str(wheels), *requirements], capture_output=True, text=True
    )
    if done.returncode != 0:
        text = done.stderr + done.stdout
        missing = re.search(r"No matching distribution found for (\S+)", text)
        what = missing[1] if missing else (text.strip().splitlines() or ["no output"])[-1]
        raise AnalysisError(
            f"no Windows wheel of {what} for CPython {minor} (platform tag win_amd64)",
            hint="the package needs a win_amd64 (or pure-Python) wheel on the index to be "
            "cross-frozen; build one on Windows, or freeze on a Windows runner",
        )
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                rel = PurePosixPath(info.filename)
                if rel.is_absolute() or ".." in rel.parts or info.is_dir():
                    continue
                out = partial.joinpath(*rel.parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, out.open("wb") as target:
                    shutil.copyfileobj(source, target)
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(partial, dest)
    return dest


# -- the analysis, for Windows -----------------------------------------------------------------


def check_entry_names(names: Sequence[str]) -> None:
    """Windows cannot create a file named CON, NUL, COM1, ... (with any extension) nor one
    ending in a dot or a space: refuse them at build time instead of at extraction."""
    for name in names:
        for part in name.split("/"):
            stem = part.split(".", 1)[0].lower()
            if (
                stem in RESERVED_NAMES
                or part.endswith((".", " "))
                or any(c in part for c in '<>:"|?*')
            ):
                raise AnalysisError(
                    f"the bundle entry {name!r} cannot exist on Windows ({part!r} is a "
                    "reserved or invalid Windows file name)",
                    hint="rename the file or give it another destination (datas=)",
                )


def _dll_placement(found: Path, site_dirs: Sequence[Path]) -> str:
    for site in site_dirs:
        try:
            return found.resolve().relative_to(site.resolve()).as_posix()
        except ValueError:
            continue
    return found.name


def walk_dlls(
    roots: Sequence[tuple[str, Path]],
    *,
    search: Sequence[Path],
    site_dirs: Sequence[Path],
) -> tuple[list[TocEntry], list[str], list[tuple[str, str]]]:
    """The DLLs that ``roots`` ((entry name, file)) import, transitively: (entries to bundle,
    system DLLs left out, (entry, DLL entry) edges). A DLL is looked for in the importing
    file's folder, then in ``search`` (the CPython folder); Windows' own DLLs are left out."""
    policy = policy_for(Os.WINDOWS)
    bundled: dict[str, TocEntry] = {}
    excluded: set[str] = set()
    edges: set[tuple[str, str]] = set()
    queue = list(roots)
    seen = {str(path.resolve()) for _, path in roots}
    while queue:
        name, path = queue.pop(0)
        imports = read_imports(path)
        if imports is None:
            continue
        for dll in imports.names:
            if policy.is_excluded(dll):
                excluded.add(dll.lower())
                continue
            found = next(
                (
                    folder / candidate.name
                    for folder in (path.parent, *search)
                    for candidate in _casefold_match(folder, dll)
                ),
                None,
            )
            if found is None:
                logger.warning("DLL %s needed by %s was not found; it is not bundled", dll, name)
                continue
            dest = _dll_placement(found, site_dirs)
            edges.add((name, dest))
            if dest not in bundled:
                bundled[dest] = TocEntry(
                    name=dest, kind=EntryKind.BINARY, source=str(found), mode=0o755
                )
            real = str(found.resolve())
            if real not in seen:
                seen.add(real)
                queue.append((dest, found))
    return sorted(bundled.values(), key=lambda e: e.name), sorted(excluded), sorted(edges)


def _casefold_match(folder: Path, name: str) -> list[Path]:
    """Files of ``folder`` named ``name`` whatever the case (Windows names ignore case)."""
    exact = folder / name
    if exact.is_file():
        return [exact]
    try:
        return [p for p in folder.iterdir() if p.name.lower() == name.lower() and p.is_file()]
    except OSError:
        return []


def retarget_for_windows(
    analysis: AnalysisResult, py: windows_python.WindowsPython, *, site_dirs: Sequence[Path]
) -> AnalysisResult:
    """The analysis with the Windows layout: the standard library's ``.pyd`` modules at the
    top (next to the DLLs they import), the DLL imports walked, vcruntime140*.dll bundled."""
    stdlib_zip = py.folder / f"python{py.minor.replace('.', '')}.zip"

    def unzipped(module: PureModule) -> PureModule:
        """A module the interpreter had already imported from python3XY.zip: its unpacked copy."""
        if module.source is None or not module.source.is_relative_to(stdlib_zip):
            return module
        return replace(module, source=py.stdlib / module.source.relative_to(stdlib_zip))

    analysis = replace(
        analysis,
        pure=tuple(unzipped(m) for m in analysis.pure),
        startup=tuple(unzipped(m) for m in analysis.startup),
    )
    binaries: dict[str, TocEntry] = {}
    for entry in analysis.binaries:
        if entry.source is None:
            continue
        source = Path(entry.source)
        if source.suffix.lower() not in (".pyd", ".dll", ".exe"):
            raise AnalysisError(
                f"{entry.name} ({source}) is not a Windows binary",
                hint="the app's dependencies must be Windows wheels (win_amd64)",
            )
        name = entry.name.removeprefix("lib-dynload/")
        binaries[name] = replace(entry, name=name)
    datas = []
    for entry in analysis.datas:  # package data collection takes .pyd/.dll files for data
        if entry.source and Path(entry.source).suffix.lower() in (".pyd", ".dll"):
            binaries.setdefault(entry.name, replace(entry, kind=EntryKind.BINARY, mode=0o755))
        else:
            datas.append(entry)
    analysis = replace(analysis, datas=tuple(datas))
    for dll in VC_RUNTIME:
        if (py.folder / dll).is_file():
            binaries.setdefault(
                dll,
                TocEntry(name=dll, kind=EntryKind.BINARY, source=str(py.folder / dll), mode=0o755),
            )
    roots = [(e.name, Path(e.source)) for e in binaries.values() if e.source]
    found, excluded, edges = walk_dlls(roots, search=[py.folder], site_dirs=site_dirs)
    for entry in found:
        binaries.setdefault(entry.name, entry)
    needs: dict[str, set[str]] = {}
    for needer, dll in edges:
        if needer in binaries and dll in binaries:
            needs.setdefault(needer, set()).add(dll)
    result = replace(
        analysis,
        binaries=tuple(sorted(binaries.values(), key=lambda e: e.name)),
        excluded_libraries=tuple(sorted({*analysis.excluded_libraries, *excluded})),
        library_needs=tuple((name, tuple(sorted(libs))) for name, libs in sorted(needs.items())),
    )
    check_entry_names([e.name for e in (*result.binaries, *result.datas)])
    return result


# -- the build ---------------------------------------------------------------------------------


def compile_for_windows(
    options: BuildOptions, analysis: AnalysisResult, target: Target, *, workdir: Path
) -> dict[str, bytes]:
    """Code objects: the embeddable package's compiled standard library as it is (the .pyc
    header dropped), everything else compiled by the target python under wine."""
    from freezekit import stages

    def compiled(module: PureModule) -> bool:
        return module.source is not None and module.source.suffix == ".pyc"

    code: dict[str, bytes] = {}
    for module in (*analysis.pure, *analysis.startup):
        if compiled(module):
            assert module.source is not None
            data = module.source.read_bytes()
            if data[:4] != target.pyc_magic:
                raise AnalysisError(f"{module.source} is not compiled for CPython {target.version}")
            code[module.name] = data[16:]
    rest = replace(
        analysis,
        pure=tuple(m for m in analysis.pure if not compiled(m)),
        startup=tuple(m for m in analysis.startup if not compiled(m)),
    )
    code.update(stages.compile_all(options, rest, target, workdir=workdir))
    return code


def copies_not_links(plan: CollectPlan) -> CollectPlan:
    """A zip on Windows cannot carry symbolic links: each link becomes a copy of its file."""
    by_dest = {item.dest: item for item in plan.files}
    files = list(plan.files)
    for link in plan.links:
        target = posixpath_normjoin(link.dest, link.target)
        item = by_dest.get(target)
        if item is None:
            raise ToolchainError(f"link {link.dest} -> {link.target} points at no bundled file")
        files.append(replace(item, dest=link.dest))
    return replace(plan, files=tuple(sorted(files, key=lambda i: i.dest)), links=())


def posixpath_normjoin(dest: str, target: str) -> str:
    import posixpath

    return posixpath.normpath(posixpath.join(posixpath.dirname(dest), target))


def windows_bootloader(target: Target, *, windowed: bool) -> Path:
    """run.exe for the target (mingw-w64), built once per content of the bootloader sources,
    Python version and kind into the per-user cache. Each build configures a folder of its own
    (then only run.exe is kept), so a CMake cache made from another checkout is never reused."""
    import hashlib

    from freezekit.assemble.bootloader import _locked, hash_sources, source_dir

    kind = f"windows-{target.machine}-{target.version[0]}.{target.version[1]}"
    kind += "-windowed" if windowed else ""
    digest = hashlib.sha256(kind.encode() + b"\0")
    hash_sources(digest, source_dir(), target.include)
    root = windows_python.cache_root() / "bootloader"
    final = root / f"{kind}-{digest.hexdigest()[:16]}"
    exe = final / "run.exe"
    if exe.is_file():
        return exe
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".build.lock"):  # one build at a time: they share libzstd.a
        if exe.is_file():  # built by another process while this one waited
            return exe
        partial = root / f".{final.name}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        try:
            built = windows.build_windows_bootloader(
                target.machine,
                windowed=windowed,
                include=target.include,
                zstd=windows.fetch_zstd_sources(),
                build_dir=partial / "build",
                zstd_dir=root / f"zstd-{target.machine}",
            )
            machine, subsystem = windows.pe_machine(built.run)
            if (machine, subsystem) != (target.machine, "windows" if windowed else "console"):
                raise ToolchainError(
                    f"{built.run} is a {machine} {subsystem} program, not the bootloader"
                )
            final.mkdir(exist_ok=True)
            shutil.copy2(built.run, exe)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return exe


def build_windows(
    options: BuildOptions,
    py: windows_python.WindowsPython,
    *,
    requirements: Sequence[str] = (),
    prefix: Path | None = None,
    reporter: Reporter | None = None,
) -> BuildResult:
    """``build(options)`` for windows-x86_64 from this Linux host."""
    from freezekit import stages
    from freezekit.assemble.collect import assemble

    reporter = reporter or NullReporter()
    prefix = prefix or apps_prefix()
    workdir = start_build(options)
    include = windows_headers(py.minor)
    target = windows_target(py, wine_bridge(py, workdir / "wine", prefix=prefix), include)
    site = fetch_windows_wheels(requirements, py.minor, workdir / "windows-site")
    options = replace(options, strip=False, paths=(py.stdlib, *options.paths, site))
    with wine_running(prefix):
        with reporter.stage("analysis") as notes:
            found = analyze(options, target, cache_dir=workdir)
            analysis = retarget_for_windows(found, py, site_dirs=[site])
            write_warnings(analysis, workdir / f"warn-{options.name}.txt")
            notes.summary = (
                f"{analysis.summary()} (for {target.tag}, CPython {py.python} under wine)"
            )
        with reporter.stage("bytecode") as notes:
            code = compile_for_windows(options, analysis, target, workdir=workdir)
            notes.summary = f"{len(code)} code objects"
    with reporter.stage("archive") as notes:
        plan = copies_not_links(stages.plan_build(options, analysis, code, target, workdir=workdir))
        notes.summary = f"{len(plan.files)} files"
    with reporter.stage("bootloader") as notes:
        bootloader = options.bootloader or windows_bootloader(target, windowed=options.windowed)
        notes.summary = str(bootloader)
    with reporter.stage("assemble") as notes:
        output = assemble(plan, bootloader, options.distpath)
        notes.summary = str(output)
    result = stages.finish(output, options, target=target, analysis=analysis, reporter=reporter)
    output = _windows_names(output, options)  # after the size report, which reads app/app
    executable = output if options.mode is Mode.ONEFILE else output / f"{options.name}.exe"
    return replace(result, output=output, executable=executable)


def _windows_names(output: Path, options: BuildOptions) -> Path:
    """``app`` -> ``app.exe`` (onefile), ``app/app`` -> ``app/app.exe`` (onedir)."""
    if options.mode is Mode.ONEFILE:
        final = output.with_name(f"{options.name}.exe")
        if final.exists():
            final.unlink()
        os.replace(output, final)
        return final
    inner = output / options.name
    os.replace(inner, output / f"{options.name}.exe")
    return output


def project_requirements(pyproject: Path | None) -> tuple[str, ...]:
    """[project] dependencies of a pyproject.toml: the app's dependencies to fetch as wheels."""
    if pyproject is None:
        return ()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on 3.10
        import tomli as tomllib

    path = pyproject / "pyproject.toml" if pyproject.is_dir() else pyproject
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OptionsError(f"cannot read {path}: {exc}") from exc
    dependencies = data.get("project", {}).get("dependencies", [])
    return tuple(str(d) for d in dependencies)


def load_cross_python(target_name: str) -> windows_python.WindowsPython:
    """The checked CPython for ``target_name``; one line naming what is missing otherwise."""
    minor = parse_target(target_name)
    problems = cross_problems(minor)
    if problems:
        raise ToolchainError(
            f"cannot cross-freeze for {target_name}: missing {'; '.join(problems)}",
            hint=f"run `{windows.INSTALL_MINGW}` as root, then `{windows_python.INSTALL_SCRIPT}`",
        )
    return windows_python.load(minor)


def build_for_target(
    options: BuildOptions, *, pyproject: Path | None = None, reporter: Reporter | None = None
) -> BuildResult:
    """``freezekit build --target windows-x86_64-3.12`` (or ``target =`` in [tool.freezekit])."""
    if sys.platform == "win32":
        raise OptionsError(
            f"--target {options.target} is for cross builds from Linux",
            hint="on Windows, freeze with that Python itself (--python PATH)",
        )
    py = load_cross_python(options.target)
    return build_windows(
        options, py, requirements=project_requirements(pyproject), reporter=reporter
    )
