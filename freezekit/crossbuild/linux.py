"""linux-i686 on an x86_64 host: a Target made of two interpreters' files.

* the *analysis* interpreter, an amd64 Python of the same minor version and the same standard
  library (Debian's own ``python3.X``), runs modulegraph2 and compiles the bytecode. Bytecode
  and the pure-Python standard library do not depend on the bitness;
* the *target tree* gives everything that is machine code: libpython, the ``lib-dynload``
  extension modules and the shared libraries they need (Debian's ``libpython3.X:i386``), and
  the headers the bootloader is compiled against.

``cross_target`` makes the ``Target`` value (its ``python`` is the analysis interpreter, its
libpython, dynload and include come from the target tree); ``retarget_analysis`` swaps each
extension module the analysis found for the target tree's build of it and walks the shared
libraries again for the target machine; ``build_cross`` is ``build()`` for a given target.
``debian_i386_target`` finds the pieces scripts/install-i386.sh installs and, when one is
missing, says which apt command installs it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from freezekit.analysis import AnalysisResult, PureModule, analyze, write_warnings
from freezekit.analysis.binaries import scan_binaries
from freezekit.assemble.plan import CollectPlan
from freezekit.build import BuildResult
from freezekit.errors import AnalysisError, ToolchainError
from freezekit.log import NullReporter, Reporter
from freezekit.options import BuildOptions
from freezekit.platforms import Os, Target, probe_python
from freezekit.release.publish import PublishedCell
from freezekit.toc import EntryKind, TocEntry

logger = logging.getLogger(__name__)

#: Debian multiarch triples, by the ``machine`` of a Target.
MULTIARCH = {"x86_64": "x86_64-linux-gnu", "i686": "i386-linux-gnu", "aarch64": "aarch64-linux-gnu"}
#: ELF e_machine of each machine.
ELF_MACHINES = {"x86_64": 62, "i686": 3, "aarch64": 183}
DEFAULT_I386_ROOT = Path("/opt/freezekit/i386")
INSTALL_I386 = "bash scripts/install-i386.sh"


def i386_apt_command(version: str, root: Path | None = None) -> str:
    """What scripts/install-i386.sh runs, as commands (for a hint when it is not at hand)."""
    return (
        "dpkg --add-architecture i386; apt-get update; apt-get install -y "
        f"--no-install-recommends -t bookworm gcc-multilib python{version} "
        f"libpython{version}:i386 libpython{version}-stdlib:i386; then "
        f"`apt-get download libpython{version}-dev:i386 libzstd-dev:i386`, unpacked with "
        f"dpkg -x into {root or i386_root()} (include/python{version}, lib/libzstd.a)"
    )


def elf_ident(path: Path) -> tuple[int, int] | None:
    """(bits, e_machine) of an ELF file; None when it is not one (or cannot be read)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[4] not in (1, 2):
        return None
    machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return (32 if header[4] == 1 else 64), machine


def cross_target(
    analysis_python: Path,
    *,
    libpython: Path,
    stdlib: Path,
    dynload: Path,
    include: Path,
    machine: str,
    bits: int,
    os_: Os = Os.LINUX,
) -> Target:
    """A Target analysed by ``analysis_python`` whose machine code comes from another tree."""
    for what, path in (("libpython", libpython), ("stdlib", stdlib), ("dynload", dynload)):
        if not path.exists():
            raise ToolchainError(f"the target's {what} {path} does not exist")
    ident = elf_ident(libpython)
    wanted = (bits, ELF_MACHINES.get(machine))
    if ident is None or ident != wanted:
        raise ToolchainError(
            f"{libpython} is not a {bits}-bit {machine} library (ELF class/machine {ident})",
            hint="give the libpython of the target tree",
        )
    info = probe_python(analysis_python)
    version_list = info["version"]
    assert isinstance(version_list, list)
    version = (int(version_list[0]), int(version_list[1]))
    if f"python{version[0]}.{version[1]}" not in libpython.name:
        raise ToolchainError(
            f"the analysis Python {analysis_python} is {version[0]}.{version[1]} but the "
            f"target's libpython is {libpython.name}",
            hint="use an analysis interpreter of the same minor version as the target",
        )
    triple = MULTIARCH.get(machine, f"{machine}-linux-gnu")
    return Target(
        os=os_,
        machine=machine,
        bits=bits,
        python=analysis_python,
        version=version,
        libpython=libpython,
        stdlib=stdlib,
        dynload=dynload,
        include=include,
        ext_suffix=f".cpython-{version[0]}{version[1]}-{triple}.so",
        pyc_magic=bytes.fromhex(str(info.get("magic", ""))),
    )


def i386_root() -> Path:
    return Path(os.environ.get("FREEZEKIT_I386_ROOT") or DEFAULT_I386_ROOT)


def i386_problems(version: str = "3.11", *, root: Path | None = None) -> list[str]:
    """What is missing for a Debian linux-i686 build of Python ``version`` (empty: ready)."""
    root = root or i386_root()
    pieces = {
        f"amd64 python{version} (Debian package python{version})": Path(
            f"/usr/bin/python{version}"
        ),
        f"i386 libpython (libpython{version}:i386)": Path(
            f"/usr/lib/i386-linux-gnu/libpython{version}.so.1.0"
        ),
        f"i386 stdlib extensions (libpython{version}-stdlib:i386)": Path(
            f"/usr/lib/python{version}/lib-dynload/"
            f"_ssl.cpython-{version.replace('.', '')}-i386-linux-gnu.so"
        ),
        f"i386 headers (unpacked libpython{version}-dev:i386)": root
        / "include"
        / f"python{version}"
        / "Python.h",
        "32-bit libzstd.a (unpacked libzstd-dev:i386)": root / "lib" / "libzstd.a",
        "gcc -m32 (gcc-multilib)": Path("/usr/lib/gcc/x86_64-linux-gnu")
        / _gcc_version()
        / "32"
        / "libgcc.a",
    }
    return [what for what, path in pieces.items() if not path.is_file()]


def _gcc_version() -> str:
    base = Path("/usr/lib/gcc/x86_64-linux-gnu")
    versions = sorted(p.name for p in base.iterdir()) if base.is_dir() else []
    return versions[-1] if versions else "none"


def debian_i386_target(version: str = "3.11", *, root: Path | None = None) -> Target:
    """The linux-i686 target made of Debian's amd64 python3.X and its i386 libraries."""
    root = root or i386_root()
    problems = i386_problems(version, root=root)
    if problems:
        raise ToolchainError(
            f"cannot build for linux-i686-{version}: missing {', '.join(problems)}",
            hint=f"run `{INSTALL_I386}` as root; it does: {i386_apt_command(version, root)}",
        )
    return cross_target(
        Path(f"/usr/bin/python{version}"),
        libpython=Path(f"/usr/lib/i386-linux-gnu/libpython{version}.so.1.0"),
        stdlib=Path(f"/usr/lib/python{version}"),
        dynload=Path(f"/usr/lib/python{version}/lib-dynload"),
        include=root / "include" / f"python{version}",
        machine="i686",
        bits=32,
    )


# -- the analysis, retargeted ----------------------------------------------------------------


def _counterpart(source: Path, host_suffix: str, target: Target) -> Path | None:
    """The target tree's build of extension module ``source`` (same folder or dynload)."""
    name = source.name
    if not name.endswith(host_suffix):
        return None
    stem = name[: -len(host_suffix)]
    for folder in (source.parent, target.dynload):
        candidate = folder / (stem + target.ext_suffix)
        if candidate.is_file():
            return candidate
    return None


def _retarget_extension(entry: TocEntry, host_suffix: str, target: Target) -> TocEntry:
    assert entry.source is not None
    source = Path(entry.source)
    wanted = (target.bits, ELF_MACHINES.get(target.machine))
    if elf_ident(source) == wanted:
        return entry  # already built for the target (abi3 wheels for both, user binaries)
    found = _counterpart(source, host_suffix, target)
    if found is None or elf_ident(found) != wanted:
        raise AnalysisError(
            f"extension module {source} has no {target.bits}-bit {target.machine} build "
            f"({source.name.replace(host_suffix, target.ext_suffix)} not found)",
            hint="install the target's build of that package (for the standard library: "
            f"libpython{target.version[0]}.{target.version[1]}-stdlib:i386)",
        )
    name = entry.name[: -len(source.name)] + found.name
    return replace(entry, name=name, source=str(found))


def _retarget_module(module: PureModule, host_triple: str, target_triple: str) -> PureModule:
    """``_sysconfigdata__<host triple>`` is the target's ``_sysconfigdata__<target triple>``."""
    if not module.name.startswith("_sysconfigdata_") or host_triple not in module.name:
        return module
    name = module.name.replace(host_triple, target_triple)
    source = module.source.with_name(name + ".py") if module.source else None
    if source is None or not source.is_file():
        raise AnalysisError(f"{module.name} has no {target_triple} counterpart {source}")
    return replace(module, name=name, source=source)


def _target_sysconfigdata(
    modules: Sequence[PureModule], target: Target, triple: str
) -> list[PureModule]:
    """Every ``_sysconfigdata_*<target triple>`` of the target's stdlib, when sysconfig is
    bundled: sysconfig imports it by a computed name, which distributions change (Debian's
    is ``_sysconfigdata__<triple>``, not upstream's ``_sysconfigdata__linux_<triple>``)."""
    names = {m.name for m in modules}
    if "sysconfig" not in names:
        return []
    return [
        PureModule(name=path.stem, source=path, is_package=False)
        for path in sorted(target.stdlib.glob(f"_sysconfigdata_*{triple}.py"))
        if path.stem not in names
    ]


def retarget_analysis(
    analysis: AnalysisResult, target: Target, *, host_suffix: str, host_triple: str
) -> AnalysisResult:
    """The analysis made by a host interpreter, with the target's machine code in it."""
    wanted = (target.bits, ELF_MACHINES.get(target.machine))
    extensions = [
        _retarget_extension(e, host_suffix, target)
        for e in analysis.binaries
        if e.kind is EntryKind.EXTENSION
    ]
    kept: list[TocEntry] = []
    dropped: list[TocEntry] = []
    for entry in analysis.binaries:
        if entry.kind is EntryKind.EXTENSION:
            continue
        ident = elf_ident(Path(entry.source)) if entry.source else None
        (dropped if ident is not None and ident != wanted else kept).append(entry)
    roots = [Path(e.source) for e in (*kept, *extensions) if e.source and elf_ident(Path(e.source))]
    scan = scan_binaries(roots, target, site_dirs=[])
    binaries = {e.name: e for e in (*kept, *extensions, *scan.binaries)}
    lost = sorted(e.name for e in dropped if e.name not in binaries)
    if lost:
        raise AnalysisError(
            f"{lost[0]} is built for the host, not for {target.tag}, and no {target.machine} "
            "build of it was found",
            hint="give the target's build of that library (--add-binary)",
        )
    triple = MULTIARCH.get(target.machine, target.machine)
    pure = [_retarget_module(m, host_triple, triple) for m in analysis.pure]
    pure += _target_sysconfigdata([*pure, *analysis.startup], target, triple)
    return replace(
        analysis,
        pure=tuple(sorted(pure, key=lambda m: m.name)),
        startup=tuple(_retarget_module(m, host_triple, triple) for m in analysis.startup),
        binaries=tuple(sorted(binaries.values(), key=lambda e: e.name)),
        excluded_libraries=tuple(sorted({*analysis.excluded_libraries, *scan.excluded})),
    )


# -- the build --------------------------------------------------------------------------------


@contextlib.contextmanager
def bootloader_toolchain(target: Target) -> Iterator[None]:
    """CMake's toolchain for a 32-bit Linux bootloader on a 64-bit host (gcc -m32 and the
    32-bit libzstd.a), through the CMAKE_TOOLCHAIN_FILE environment variable (CMake >= 3.21)."""
    from freezekit.assemble.bootloader import source_dir

    toolchain = source_dir() / "cmake" / "linux-i686.cmake"
    if target.os is not Os.LINUX or target.machine != "i686" or not toolchain.is_file():
        yield
        return
    before = os.environ.get("CMAKE_TOOLCHAIN_FILE")
    os.environ["CMAKE_TOOLCHAIN_FILE"] = str(toolchain)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CMAKE_TOOLCHAIN_FILE", None)
        else:
            os.environ["CMAKE_TOOLCHAIN_FILE"] = before


def keep_libpython_layout(
    plan: CollectPlan, target: Target, *, workdir: Path, strip: bool
) -> CollectPlan:
    """libpython copied as it is (debug info stripped), without the RUNPATH rewrite.

    lief's rewrite (``prepare_binary``) shifts every section of Debian's libpython3.11 by a
    page and the result crashes in Py_InitializeFromConfig ("non-string found in code slot",
    amd64 and i386 alike). libpython needs no RUNPATH of its own: its dependencies (libz,
    libexpat) are the system's if not already loaded.
    """
    name = target.libpython.name
    plain = workdir / "plain" / name
    items = []
    for item in plan.files:
        if item.dest == name:
            plain.parent.mkdir(parents=True, exist_ok=True)
            partial = plain.with_name(name + ".partial")
            _copy_stripped(target.libpython, partial, strip=strip)
            os.replace(partial, plain)
            item = replace(item, source=plain)
        items.append(item)
    return replace(plan, files=tuple(items))


def _copy_stripped(source: Path, dest: Path, *, strip: bool) -> None:
    tool = shutil.which("strip") if strip else None
    if tool is not None:
        done = subprocess.run(
            [tool, "--strip-debug", "-o", str(dest), str(source)], capture_output=True, text=True
        )
        if done.returncode == 0:
            return
        logger.debug("strip failed on %s, copied as it is: %s", source, done.stderr.strip())
    shutil.copyfile(source, dest)


def host_suffixes(target: Target) -> tuple[str, str]:
    """(EXT_SUFFIX, multiarch triple) of the analysis interpreter."""
    info = probe_python(target.python)
    machine = str(info["machine"])
    return str(info["ext_suffix"]), MULTIARCH.get(machine, f"{machine}-linux-gnu")


def start_build(options: BuildOptions) -> Path:
    """What a cross build checks before its first stage, in this order (scripts, output folder,
    existing output), then its work folder (emptied with --clean), which it returns."""
    from freezekit import build
    from freezekit.assemble.collect import check_output_writable

    build.check_scripts(options.scripts)
    check_output_writable(options.distpath)
    build.check_existing_output(options)
    workdir = options.workpath / options.name
    if options.clean and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def build_cross(
    options: BuildOptions, target: Target, *, reporter: Reporter | None = None
) -> BuildResult:
    """``build(options)`` for ``target`` instead of the interpreter ``options.python``."""
    from freezekit import stages
    from freezekit.assemble.bootloader import find_bootloader
    from freezekit.assemble.collect import assemble

    reporter = reporter or NullReporter()
    workdir = start_build(options)
    host_suffix, host_triple = host_suffixes(target)
    with reporter.stage("analysis") as notes:
        found = analyze(options, target, cache_dir=workdir)
        analysis = retarget_analysis(
            found, target, host_suffix=host_suffix, host_triple=host_triple
        )
        write_warnings(analysis, workdir / f"warn-{options.name}.txt")
        notes.summary = f"{analysis.summary()} (for {target.tag}, analysed by {target.python})"
    with reporter.stage("bytecode") as notes:
        code = stages.compile_all(options, analysis, target, workdir=workdir)
        notes.summary = f"{len(code)} code objects"
    with reporter.stage("archive") as notes:
        plan = stages.plan_build(options, analysis, code, target, workdir=workdir)
        plan = keep_libpython_layout(plan, target, workdir=workdir, strip=options.strip)
        notes.summary = f"{len(plan.files)} files, {len(plan.links)} links"
    with reporter.stage("bootloader") as notes, bootloader_toolchain(target):
        bootloader = options.bootloader or find_bootloader(target, windowed=options.windowed)
        notes.summary = str(bootloader)
    with reporter.stage("assemble") as notes:
        output = assemble(plan, bootloader, options.distpath)
        notes.summary = str(output)
    return stages.finish(output, options, target=target, analysis=analysis, reporter=reporter)


def check_executable(path: Path, target: Target) -> None:
    """The produced executable is an ELF file for the target's bits and machine."""
    ident = elf_ident(path)
    if ident != (target.bits, ELF_MACHINES.get(target.machine)):
        raise ToolchainError(
            f"{path} is not a {target.bits}-bit {target.machine} executable (ELF {ident})"
        )


# -- a matrix cell, frozen here ---------------------------------------------------------------


def python_version_of(target: Target) -> str:
    """``3.11.2``: the full version of the target's Python (the analysis interpreter's)."""
    done = subprocess.run(
        [str(target.python), "-I", "-S", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def freeze_cell_cross(
    pyproject: Path,
    cell_name: str,
    *,
    target: Target,
    work_dir: Path,
    publish_dir: Path,
    version: str,
    reporter: Reporter | None = None,
) -> PublishedCell:
    """Freeze the ``[tool.freezekit]`` app of ``pyproject`` for ``target``, run every smoke
    probe on it and publish it as matrix cell ``cell_name`` (archive, SHA256SUMS, manifest)."""
    from freezekit.release.matrix import find_cell
    from freezekit.release.publish import git_commit, publish_cell
    from freezekit.smoke import run_smoke
    from freezekit.spec.pyproject import options_from_pyproject

    cell = find_cell(cell_name)
    if (cell.os, cell.arch, cell.bits) != (target.os, target.machine, target.bits):
        raise ToolchainError(f"target {target.tag} does not build matrix cell {cell.name}")
    options = replace(
        options_from_pyproject(pyproject),
        distpath=work_dir / "dist",
        workpath=work_dir / "work",
        noconfirm=True,
    )
    result = build_cross(options, target, reporter=reporter)
    check_executable(result.executable, target)
    smoke = run_smoke(result.executable)
    for outcome in smoke:
        logger.info(
            "smoke %s: %s %s", outcome.probe, "ok" if outcome.ok else "FAILED", outcome.detail
        )
    return publish_cell(
        result.output,
        executable=result.executable,
        app=options.name,
        version=version,
        cell=cell,
        python_version=python_version_of(target),
        smoke=smoke,
        out_dir=publish_dir,
        commit=git_commit(),
    )
