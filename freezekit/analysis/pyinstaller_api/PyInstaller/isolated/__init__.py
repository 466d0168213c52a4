"""``PyInstaller.isolated``: run a function in a fresh child of the *target* interpreter.

The hook runs inside the analysis worker, which is the target interpreter; ``sys.executable``
is started again with the worker's ``sys.path``, the function's code is sent to it (marshal,
so the function must not use closures, as in PyInstaller), its arguments and result travel
pickled. Imports done by the function stay in the child, which is the point: a hook can
import a package to ask it something without loading it into the analysis.
"""

from __future__ import annotations

import marshal
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Python", "SubprocessDiedError", "call", "decorate"]

T = TypeVar("T")

_CHILD = r"""
import builtins, marshal, os, pickle, sys, traceback, types
out = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)
sys.stdout = sys.stderr
data = pickle.loads(sys.stdin.buffer.read())
sys.path[:] = data["path"]
try:
    code = marshal.loads(data["code"])
    namespace = {"__builtins__": builtins, "__name__": "__isolated__"}
    func = types.FunctionType(code, namespace, data["name"], data["defaults"])
    if data["kwdefaults"]:
        func.__kwdefaults__ = data["kwdefaults"]
    reply = (True, func(*data["args"], **data["kwargs"]))
except BaseException as exc:
    reply = (False, type(exc).__name__ + ": " + str(exc) + "\n" + traceback.format_exc())
try:
    blob = pickle.dumps(reply)
except Exception as exc:
    blob = pickle.dumps((False, "the result cannot be pickled: " + repr(exc)))
out.write(blob)
out.flush()
"""


class SubprocessDiedError(RuntimeError):
    """The child interpreter ended without a reply."""


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` evaluated in a child interpreter; its result."""
    if function.__closure__:
        raise TypeError(f"{function.__name__}() uses variables of an enclosing function")
    payload = pickle.dumps(
        {
            "path": list(sys.path),
            "code": marshal.dumps(function.__code__),
            "name": function.__name__,
            "defaults": function.__defaults__,
            "kwdefaults": function.__kwdefaults__,
            "args": args,
            "kwargs": kwargs,
        }
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-B", "-c", _CHILD],
            input=payload,
            stdout=subprocess.PIPE,
            env=env,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SubprocessDiedError(f"cannot run {function.__name__}() in a child: {exc}") from exc
    if not proc.stdout:
        raise SubprocessDiedError(
            f"child interpreter running {function.__name__}() died (exit status {proc.returncode})"
        )
    ok, value = pickle.loads(proc.stdout)  # noqa: S301  # our own child's reply
    if not ok:
        raise RuntimeError(f"child process call to {function.__name__}() failed with: {value}")
    result: T = value
    return result


def decorate(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` turned into one that always runs in a child interpreter."""

    def wrapper(*args: Any, **kwargs: Any) -> T:
        return call(function, *args, **kwargs)

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    wrapper.__wrapped__ = function  # type: ignore[attr-defined]
    return wrapper


class Python:
    """A child interpreter to call several functions in (here: one child per call)."""

    def __init__(self, strict_mode: bool | None = None) -> None:
        self.strict_mode = strict_mode

    def __enter__(self) -> Python:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return call(function, *args, **kwargs)
