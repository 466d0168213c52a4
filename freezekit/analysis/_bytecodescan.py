"""The import scan of a module's code objects, as modulegraph2's ``extract_bytecode_info``
returns it, without ``dis.get_instructions``.

modulegraph2 builds a ``dis.Instruction`` (a named tuple with the argument's value, its
representation, positions, ...) for every instruction of every code object of every module it
adds, and reads only the name and raw argument of each. On a first build (an empty scan cache)
that was the largest part of the analysis: 45 % of the worker's time for the hello app. This
walks the raw ``(opcode, argument)`` pairs of ``dis._unpack_opargs`` instead (the generator
``get_instructions`` itself is built on, in every version this supports) and gives the same
answer: the imports in the same order, the global names written and read.

``scan`` returns None where it is not sure to agree (another Python version, a pattern of
instructions modulegraph2 would not accept): the caller then asks modulegraph2.

Standard library only; runs under the target Python inside the analysis worker.
"""

from __future__ import annotations

import collections
import dis
import sys
import types
from collections.abc import Callable
from typing import Any

#: Python versions whose ``dis._unpack_opargs`` and instruction patterns this was checked on.
SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))

_NEW_LAYOUT = sys.version_info[:2] >= (3, 11)  # LOAD_GLOBAL's name index, MAKE_FUNCTION's code
_NAMES = getattr(dis, "_all_opname", dis.opname)


class _Unsure(Exception):
    """The code does not look like what modulegraph2 expects: let it answer."""


def _tables() -> tuple[list[int], list[bool], list[bool]] | None:
    """Per opcode byte, what ``dis._unpack_opargs`` works out for each instruction: the inline
    cache entries that follow it, whether it takes an argument, whether it is EXTENDED_ARG
    (all of its base opcode); None where this Python's ``dis`` lacks what they come from."""
    try:
        deop = getattr(dis, "_deoptop", lambda op: op)
        bases = [deop(op) for op in range(256)]
        size_of = getattr(dis, "_get_cache_size", None)  # 3.13: by name
        entries = getattr(dis, "_inline_cache_entries", None)  # 3.11, 3.12: by opcode
        if size_of is not None:
            caches = [int(size_of(_NAMES[b])) for b in bases]
        elif entries is not None:
            caches = [int(entries[b]) for b in bases]
        else:
            caches = [0] * 256
        if sys.version_info[:2] >= (3, 12):
            with_arg = set(dis.hasarg)
            takes = [b in with_arg for b in bases]
        else:
            takes = [b >= dis.HAVE_ARGUMENT for b in bases]
        extended = [b == dis.EXTENDED_ARG for b in bases]
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None
    return caches, takes, extended


_TABLES = _tables()
_OVERFLOW: int | None = getattr(dis, "_INT_OVERFLOW", None)


def _ops(code: types.CodeType) -> list[tuple[str, int | None]]:
    """(name, raw argument) of each instruction, EXTENDED_ARG included, caches left out:
    ``dis._unpack_opargs``'s loop with its per-instruction look-ups made once per opcode byte
    (numpy_app: 800,000 instructions; 1.7x faster than the generator on 3.11, 2.4x on 3.12,
    3.2x on 3.13)."""
    if _TABLES is None:
        return [(_NAMES[item[-2]], item[-1]) for item in dis._unpack_opargs(code.co_code)]  # type: ignore[attr-defined]
    caches_of, takes, extended = _TABLES
    raw = code.co_code
    names = _NAMES
    overflow = _OVERFLOW
    ops: list[tuple[str, int | None]] = []
    append = ops.append
    extended_arg = 0
    caches = 0
    for op, byte in zip(raw[::2], raw[1::2], strict=False):  # co_code: whole pairs
        if caches:
            caches -= 1
            continue
        caches = caches_of[op]
        if takes[op]:
            arg: int | None = byte | extended_arg
            if extended[op]:
                extended_arg = arg << 8  # type: ignore[operator]
                if overflow is not None and extended_arg >= overflow:
                    extended_arg -= 2 * overflow
            else:
                extended_arg = 0
        else:
            arg = None
            extended_arg = 0
        append((names[op], arg))
    return ops


def _before(ops: list[tuple[str, int | None]], index: int, skip: int) -> tuple[int, str, Any]:
    """The instruction ``skip`` places before ``index``, past one EXTENDED_ARG at most."""
    position = index - skip
    if position >= 0 and ops[position][0] == "EXTENDED_ARG":
        position -= 1
    if position < 0:
        raise _Unsure
    return position, ops[position][0], ops[position][1]


class _Scan:
    def __init__(self, create_importinfo: Callable[..., Any]) -> None:
        self.create = create_importinfo
        self.imports: list[Any] = []
        self.written: set[str] = set()
        self.read: set[str] = set()
        self.functions: set[types.CodeType] = set()
        self.classes: set[types.CodeType] = set()

    def _import(
        self,
        code: types.CodeType,
        ops: list[tuple[str, int | None]],
        at: int,
        where: tuple[bool, bool],
    ) -> None:
        in_function, in_class = where
        fromlist_at, fromlist_op, fromlist_arg = _before(ops, at, 1)
        _, level_op, level_arg = _before(ops, fromlist_at, 1)
        if fromlist_op != "LOAD_CONST" or level_op not in ("LOAD_CONST", "LOAD_SMALL_INT"):
            raise _Unsure
        fromlist = code.co_consts[fromlist_arg]
        level = level_arg if level_op == "LOAD_SMALL_INT" else code.co_consts[level_arg]
        if fromlist is not None and not isinstance(fromlist, tuple):
            raise _Unsure
        name = code.co_names[ops[at][1]]  # type: ignore[index]
        names = None if fromlist is None else [(item, None) for item in fromlist]
        self.imports.append(self.create((name, None), names, level, in_function, False, False))
        if not (in_function or in_class) and fromlist is not None:
            self.written.update(item for item in fromlist if item != "*")

    def _function(self, code: types.CodeType, ops: list[tuple[str, int | None]], at: int) -> None:
        made = code.co_consts[ops[at - (1 if _NEW_LAYOUT else 2)][1]]  # type: ignore[index]
        if _NEW_LAYOUT:
            is_class = (at >= 2 and ops[at - 2][0] == "LOAD_BUILD_CLASS") or (
                at >= 3 and ops[at - 2][0] == "PUSH_NULL" and ops[at - 3][0] == "LOAD_BUILD_CLASS"
            )
        else:
            is_class = at >= 3 and ops[at - 3][0] == "LOAD_BUILD_CLASS"
        (self.classes if is_class else self.functions).add(made)

    def one(self, code: types.CodeType, in_function: bool, in_class: bool) -> None:
        ops = _ops(code)
        names = code.co_names
        for at, (name, arg) in enumerate(ops):
            if name == "IMPORT_NAME":
                self._import(code, ops, at, (in_function, in_class))
            elif name == "STORE_NAME" or name == "STORE_GLOBAL":
                if not (in_class or (in_function and name == "STORE_NAME")):
                    self.written.add(names[arg])  # type: ignore[index]
            elif name == "LOAD_NAME":
                if not in_class:
                    self.read.add(names[arg])  # type: ignore[index]
            elif name == "LOAD_GLOBAL":
                self.read.add(names[arg >> 1 if _NEW_LAYOUT else arg])  # type: ignore[operator,index]
            elif name == "MAKE_FUNCTION":
                self._function(code, ops, at)


def scan(
    code: types.CodeType, create_importinfo: Callable[..., Any]
) -> tuple[list[Any], set[str], set[str]] | None:
    """(imports, global names written, global names read) of a module's code, or None."""
    if sys.version_info[:2] not in SUPPORTED:
        return None
    state = _Scan(create_importinfo)
    # breadth first; each code object's chain (itself and the code objects around it, the
    # module's own excluded) is kept by code object, as equal code objects share one (the
    # last found), and one made by a function definition puts it "in a function"
    queue: collections.deque[types.CodeType] = collections.deque([code])
    chains: dict[types.CodeType, tuple[types.CodeType, ...]] = {}
    try:
        while queue:
            current = queue.popleft()
            chain = chains.get(current, ())
            in_function = current in state.functions or any(c in state.functions for c in chain)
            state.one(current, in_function, current in state.classes)
            for const in current.co_consts:
                if isinstance(const, types.CodeType):
                    queue.append(const)
                    chains[const] = (*chains.get(current, ()), const)
    except (_Unsure, IndexError, TypeError, KeyError):
        return None
    return state.imports, state.written, state.read
