"""Frozen keyword-only value classes that are cheap to define: BuildOptions and BuildResult.

Both lie on the path of a rebuild in which nothing changed, which must stay a few tens of
milliseconds. ``dataclasses`` imports ``inspect`` (and with it ast, dis and tokenize), and it
compiles each class's methods from source. Measured on Python 3.11, no-change rebuild of the
hello app, 40 runs of each variant alternated, median CPU time of the process: through
``freezekit.build.build`` (as the bench runs it) 32 ms with this module, 40 ms with
``dataclasses``; through the CLI 64 ms and 70 ms. The bench's rebuild goal (<= 0.1x
PyInstaller) has less margin than those 8 ms for some apps.

This module makes the same methods from plain functions: ``__init__`` (keyword arguments only,
defaults and ``default_factory``), ``__repr__``, ``__eq__`` and ``__hash__`` over the compared
fields, and assignment refused. ``dataclass`` is marked ``dataclass_transform`` (PEP 681), so
type checkers check the classes as frozen keyword-only dataclasses while the code they check is
the code that runs. ``dataclasses.replace``, ``fields``, ``asdict`` and ``is_dataclass`` keep
working on them: the first time something asks for ``__dataclass_fields__``, ``dataclasses``
is imported and makes the fields of a twin class (the API's users lose nothing; the quick path
never asks). Code on the quick path uses ``replace`` from here, which needs none of that.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform  # typing's own from Python 3.11

    T = TypeVar("T")
else:

    def dataclass_transform(**_options: object) -> object:
        """PEP 681's marker: read by type checkers, nothing at run time (typing not imported)."""
        return lambda function: function


_MISSING = object()


class FrozenInstanceError(AttributeError):
    """An attempt to assign to or delete a field of a record."""


class Field:
    """What ``field()`` says about one field (dataclasses' options that the records use)."""

    __slots__ = ("compare", "default", "default_factory", "repr")

    def __init__(
        self,
        default: object,
        default_factory: Callable[[], object] | None,
        repr: bool,  # noqa: A002  # the name dataclasses.field uses
        compare: bool,
    ) -> None:
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare


def field(
    *,
    default: object = _MISSING,
    default_factory: Callable[[], object] | None = None,
    repr: bool = True,  # noqa: A002
    compare: bool = True,
) -> Any:
    if default is not _MISSING and default_factory is not None:
        raise ValueError("a field takes a default or a default_factory, not both")
    return Field(default, default_factory, repr, compare)


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
def dataclass(*, frozen: bool, kw_only: bool) -> Callable[[type[T]], type[T]]:
    """``@dataclass(frozen=True, kw_only=True)``: the only kind of class this module makes."""
    if not (frozen and kw_only):
        raise TypeError("freezekit._record makes frozen, keyword-only classes only")
    return _make


class _Spec:
    """One field: its name, how its value is found when not given, and where it counts."""

    __slots__ = ("annotation", "compare", "default", "factory", "name", "repr")

    def __init__(self, name: str, annotation: object, value: object) -> None:
        self.name = name
        self.annotation = annotation
        found = value if isinstance(value, Field) else Field(value, None, True, True)
        self.default = found.default
        self.factory = found.default_factory
        self.repr = found.repr
        self.compare = found.compare


def _make(cls: type[T]) -> type[T]:
    specs = tuple(
        _Spec(name, annotation, cls.__dict__.get(name, _MISSING))
        for name, annotation in cls.__dict__.get("__annotations__", {}).items()
    )
    for spec in specs:  # like dataclasses: a plain default stays a class attribute
        if isinstance(cls.__dict__.get(spec.name), Field):
            if spec.default is _MISSING:
                delattr(cls, spec.name)
            else:
                setattr(cls, spec.name, spec.default)
    names = frozenset(spec.name for spec in specs)
    shown = tuple(spec.name for spec in specs if spec.repr)
    compared = tuple(spec.name for spec in specs if spec.compare)
    title = cls.__qualname__
    post_init = getattr(cls, "__post_init__", None)

    def __init__(self: object, *args: object, **kwargs: object) -> None:
        if args:
            raise TypeError(f"{title}() takes keyword arguments only")
        put = object.__setattr__
        for spec in specs:
            if spec.name in kwargs:
                put(self, spec.name, kwargs[spec.name])
            elif spec.factory is not None:
                put(self, spec.name, spec.factory())
            elif spec.default is not _MISSING:
                put(self, spec.name, spec.default)
            else:
                raise TypeError(f"{title}() missing keyword argument {spec.name!r}")
        if len(kwargs) > len(names) or not names.issuperset(kwargs):
            unknown = sorted(set(kwargs) - names)
            raise TypeError(f"{title}() got an unexpected keyword argument {unknown[0]!r}")
        if post_init is not None:
            post_init(self)

    def __repr__(self: object) -> str:
        shown_values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{title}({shown_values})"

    def _key(self: object) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in compared)

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _key(self) == _key(other)

    def __hash__(self: object) -> int:
        return hash(_key(self))

    def __setattr__(self: object, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self: object, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    methods = {
        "__init__": __init__,
        "__repr__": __repr__,
        "__eq__": __eq__,
        "__hash__": __hash__,
        "__setattr__": __setattr__,
        "__delattr__": __delattr__,
    }
    for name, method in methods.items():
        method.__qualname__ = f"{title}.{name}"
        setattr(cls, name, method)
    type.__setattr__(cls, "__match_args__", ())  # keyword-only: no positional patterns
    cls.__dataclass_fields__ = _DataclassFields(specs)  # type: ignore[attr-defined]
    return cls


class _DataclassFields:
    """``__dataclass_fields__``, made by ``dataclasses`` on first use (see the module doc)."""

    def __init__(self, specs: tuple[_Spec, ...]) -> None:
        self.specs = specs

    def __get__(self, instance: object, owner: type) -> dict[str, object]:
        import dataclasses

        made = []
        for spec in self.specs:
            options: dict[str, Any] = {"repr": spec.repr, "compare": spec.compare}
            if spec.factory is not None:
                options["default_factory"] = spec.factory
            elif spec.default is not _MISSING:
                options["default"] = spec.default
            made.append((spec.name, spec.annotation, dataclasses.field(**options)))
        twin = dataclasses.make_dataclass(owner.__name__, made, frozen=True, kw_only=True)
        fields: dict[str, object] = twin.__dataclass_fields__  # type: ignore[attr-defined]
        type.__setattr__(owner, "__dataclass_fields__", fields)  # asked once per class
        return fields


def replace(obj: T, /, **changes: object) -> T:
    """A copy of the record ``obj`` with ``changes``: ``dataclasses.replace`` without importing
    dataclasses (for the quick path; elsewhere either works)."""
    values = {name: value for name, value in vars(obj).items() if name not in changes}
    return obj.__class__(**values, **changes)
