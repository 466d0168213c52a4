"""Code that runs inside the frozen app. Standard library only; nothing here imports freezekit.

``_bootstrap.py`` is the bootloader's ``bootstrap`` entry (executed, never imported);
``main.start()`` prepares the process; ``environ`` is the public environment helper;
``mp`` handles multiprocessing children; ``smoke`` holds the in-app smoke probes.
"""

# The smoke probes built into every app (``FREEZEKIT_SMOKE=<probe>``); the host-side runner
# (freezekit.smoke) lists the same names from here.
PROBES = (
    "mp-spawn",
    "mp-forkserver",
    "mp-fork",
    "windowed-stdio",
    "env-reset",
    "restart",
    "data",
    "imports",
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (this runs at every start)
if TYPE_CHECKING:
    from typing import Protocol

    class FreezekitModule(Protocol):
        """What the runtime uses of the bootloader's built-in ``_freezekit`` module (stubs/);
        tests pass stand-ins."""

        top_dir: str
        windowed: bool
        options: tuple[str, ...]

        def toc(self) -> list[tuple[str, str]]: ...
        def read(self, name: str, /) -> bytes: ...
        def pyz_index(self) -> dict[str, tuple[bool, int]]: ...
        def unpack(self, names: str, /) -> None: ...
