"""gevent: each pure module swaps itself for its Cython twin by a name it builds at run time
(``import_c_accel(globals(), "gevent.__semaphore")`` imports ``gevent._gevent_c_semaphore``),
and the event loop, resolver and monkey-patching targets are chosen by name
(``GEVENT_LOOP``, ``GEVENT_RESOLVER``). Every gevent module is bundled but the test suite."""


def hook(api):
    left_out = ("gevent.tests", "gevent.testing")
    api.add_imports(*(n for n in api.submodules("gevent") if not n.startswith(left_out)))
    api.exclude_imports("gevent.tests", "gevent.testing", "pytest")
