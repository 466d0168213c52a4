"""First Python code run inside a frozen app: install the PYZ importer, then call start().

The bootloader executes this file's code object in a fresh namespace; it is never imported.
Until the importer is in ``sys.meta_path`` only built-in and frozen modules are available,
so this file imports nothing else before the last lines. Keep it small: it runs on every
start of every frozen app.
"""

import _frozen_importlib as _fi
import _frozen_importlib_external as _fie
import _io
import marshal
import sys

import _freezekit

TYPE_CHECKING = False  # typing.TYPE_CHECKING: typing cannot be imported here
if TYPE_CHECKING:  # the annotations below are strings: this file has no __future__ import
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType

    from freezekit.runtime.pyz import PyzResourceReader

_SEP = _fie.path_sep

# Modules patched right after they are executed from the PYZ: name -> (module, function).
# The function is called as function(module, importer).
_POST_IMPORT = {
    "multiprocessing": ("freezekit.runtime.mp", "on_import_multiprocessing"),
    "multiprocessing.spawn": ("freezekit.runtime.mp", "on_import_spawn"),
    "pkgutil": ("freezekit.runtime.pyz", "on_import_pkgutil"),
}


class PyzImporter:
    """Meta-path finder and loader for the modules stored in the PYZ.

    Module code comes from memory; ``__file__`` and ``__path__`` point into the top
    directory so that extension modules and data files next to them are found on disk.
    """

    is_freezekit_pyz = True

    def __init__(
        self,
        index: "dict[str, tuple[bool, int]]",
        read: "Callable[[int], bytes]",
        top_dir: str,
        lazy: "bytes | None" = None,
    ) -> None:
        self.index = index  # name -> (is_package, token)
        self._read = read
        self.top_dir = top_dir
        self.post_import = dict(_POST_IMPORT)
        self._parents: set[str] | None = None  # implied namespace packages, made on a first miss
        # onefile temp mode: extension module -> files to unpack before the path finder
        # looks for it (the module's own file and the bundled libraries it needs)
        self.lazy = _parse_lazy_table(lazy)
        self.lazy_modules = frozenset(self.lazy)

    def __repr__(self) -> str:
        return f"<PyzImporter {len(self.index)} modules in {self.top_dir!r}>"

    def path_of(self, fullname: str) -> str:
        """``<top>/a/b`` for module ``a.b``: its package folder, or its file without suffix."""
        return self.top_dir + _SEP + fullname.replace(".", _SEP)

    def origin_of(self, fullname: str) -> str:
        if self.index[fullname][0]:
            return self.path_of(fullname) + _SEP + "__init__.py"
        return self.path_of(fullname) + ".py"

    # -- finder ---------------------------------------------------------------------------

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        entry = self.index.get(fullname)
        if entry is None:
            if fullname in self.lazy:
                return self._unpacked_spec(fullname)
            return self._namespace_spec(fullname)
        spec = _fi.ModuleSpec(
            fullname,
            self,  # type: ignore[arg-type]  # a loader without the legacy load_module()
            origin=self.origin_of(fullname),
            is_package=entry[0],
        )
        locations = spec.submodule_search_locations  # a list for a package
        if locations is not None:
            locations.append(self.path_of(fullname))
        spec.has_location = True
        return spec

    def _namespace_spec(self, fullname: str) -> "ModuleSpec | None":
        """A namespace package for a dotted prefix of PYZ modules that has no entry itself."""
        parents = self._parents
        if parents is None:
            parents = set()
            for name in self.index:
                while "." in name:
                    name = name.rpartition(".")[0]
                    if name in parents:
                        break
                    parents.add(name)
            parents.difference_update(self.index)
            self._parents = parents
        if fullname not in parents:
            return None
        folder = self.path_of(fullname) + _SEP + "__init__"
        for suffix in _fie.EXTENSION_SUFFIXES:
            if _fie._path_isfile(folder + suffix):  # type: ignore[attr-defined]
                return None  # its __init__ is an extension module (mypyc): the path finder's
        spec = _fi.ModuleSpec(fullname, None, is_package=True)
        locations = spec.submodule_search_locations  # a list for a package
        if locations is not None:
            locations.append(self.path_of(fullname))
        return spec

    def _unpacked_spec(self, fullname: str) -> "ModuleSpec | None":
        """Unpack lazy module ``fullname``, then the spec the path finder would give for its
        own file, the first of its row when it is lazy (``lazy.extension_module`` of the
        build); if only its libraries were, the path finder finds its file. The path finder is
        not asked because it would list the folder again: the start-up thread writing into
        it changes its mtime, and stdlib_app listed lib-dynload some 30 times as it started."""
        files = self.lazy.get(fullname, ())  # another thread may have taken it meanwhile
        self.unpack(fullname)
        parts = files[0].split("/") if files else [""]
        if parts[0] == "lib-dynload":  # lazy.STDLIB_EXTENSIONS, on the path itself
            parts = parts[1:]
        stem = parts[-1].partition(".")[0]
        names = parts[:-1] if stem == "__init__" else [*parts[:-1], stem]
        if ".".join(names) != fullname or not files[0].endswith(tuple(_fie.EXTENSION_SUFFIXES)):
            return self._namespace_spec(fullname)
        path = self.top_dir + _SEP + files[0].replace("/", _SEP)
        return _fie.spec_from_file_location(
            fullname,
            path,
            loader=_fie.ExtensionFileLoader(fullname, path),
            submodule_search_locations=[path.rpartition(_SEP)[0]] if stem == "__init__" else None,
        )

    def unpack(self, fullname: str) -> None:
        """Unpack the files of lazy module ``fullname`` now (once), and make the path finders
        of their folders look again: a folder's listing is cached (and its mtime may not have
        changed yet), and a folder that did not exist is cached as having no finder."""
        files = self.lazy.pop(fullname, None)
        if not files:
            return
        _freezekit.unpack("\t".join(files))
        cache = sys.path_importer_cache
        for name in files:
            folder, _, _ = name.rpartition("/")
            key = self.top_dir + _SEP + folder.replace("/", _SEP) if folder else self.top_dir
            if key in cache:
                finder = cache[key]
                if finder is None:  # the folder did not exist when the path finder looked
                    del cache[key]
                else:
                    finder.invalidate_caches()  # type: ignore[attr-defined]

    def invalidate_caches(self) -> None:
        pass

    # -- loader ---------------------------------------------------------------------------

    def create_module(self, spec: "ModuleSpec") -> None:
        return None

    def exec_module(self, module: "ModuleType") -> None:
        name = module.__spec__.name  # type: ignore[union-attr]  # set by the import system
        exec(self.get_code(name), module.__dict__)
        hook = self.post_import.get(name)
        if hook is not None:
            __import__(hook[0])
            getattr(sys.modules[hook[0]], hook[1])(module, self)

    def _entry(self, fullname: str) -> "tuple[bool, int]":
        entry = self.index.get(fullname)
        if entry is None:
            raise ImportError(f"module {fullname!r} is not in the PYZ", name=fullname)
        return entry

    def get_code(self, fullname: str) -> "CodeType":
        code: CodeType = marshal.loads(self._read(self._entry(fullname)[1]))
        return code

    def get_source(self, fullname: str) -> None:
        self._entry(fullname)
        return None

    def is_package(self, fullname: str) -> bool:
        return self._entry(fullname)[0]

    def get_filename(self, fullname: str) -> str:
        self._entry(fullname)
        return self.origin_of(fullname)

    def get_data(self, path: str) -> bytes:
        """Bytes of a file on disk (data files live in the top directory)."""
        with _io.FileIO(path, "r") as file:
            return file.readall()

    def get_resource_reader(self, fullname: str) -> "PyzResourceReader":
        from freezekit.runtime.pyz import PyzResourceReader

        return PyzResourceReader(self, fullname)


def _parse_lazy_table(data: "bytes | None") -> "dict[str, tuple[str, ...]]":
    """``module\\tfile\\tfile\\n`` rows (archive/format.py) -> {module: (file, ...)}; a ``+``
    before the module marks the start-up set, which the bootloader is unpacking already."""
    table: dict[str, tuple[str, ...]] = {}
    if data:
        for row in data.decode("utf-8").splitlines():
            module, *files = row.split("\t")
            table[module.lstrip("+")] = tuple(files)
    return table


def _install(importer: PyzImporter) -> None:
    meta_path = sys.meta_path
    for position, finder in enumerate(meta_path):
        if finder is _fie.PathFinder:
            meta_path.insert(position, importer)
            break
    else:
        meta_path.append(importer)


_importer = PyzImporter(
    _freezekit.pyz_index(), _freezekit.pyz_read, _freezekit.top_dir, _freezekit.lazy_table()
)
_install(_importer)
sys.frozen = True  # type: ignore[attr-defined]
sys._MEIPASS = _freezekit.top_dir  # type: ignore[attr-defined]
if getattr(sys, "_stdlib_dir", "") is None:  # 3.11+: getpath finds no stdlib landmark there
    sys._stdlib_dir = _freezekit.top_dir  # type: ignore[attr-defined]  # frozen stdlib modules get their __file__ from it

from freezekit.runtime.main import start  # noqa: E402  (needs the importer installed)

start(_importer)
