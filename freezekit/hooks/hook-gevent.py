"""gevent: each pure module swaps itself for its Cython twin by a name it builds at run time
(``import_c_accel(globals(), "gevent.__semaphore")`` imports ``gevent._gevent_c_semaphore``),
and the event loop, resolver and monkey-patching targets are chosen by name
(``GEVENT_LOOP``, ``GEVENT_RESOLVER``). Every gevent module is bundled but the test suite."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    left_out = ("gevent.tests", "gevent.testing")
    api.add_imports(*(n for n in api.submodules("gevent") if not n.startswith(left_out)))
    api.exclude_imports("gevent.tests", "gevent.testing", "pytest")
