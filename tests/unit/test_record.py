"""freezekit._record: BuildOptions and BuildResult behave as the frozen keyword-only dataclasses
type checkers see, without importing dataclasses on a rebuild's quick path."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit._record import FrozenInstanceError, dataclass, field, replace
from freezekit.build import BuildResult, Products
from freezekit.options import BuildOptions, Mode


@dataclass(frozen=True, kw_only=True)
class Light:
    name: str
    size: int = 3
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", repr=False, compare=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Real:
    name: str
    size: int = 3
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = dataclasses.field(default="", repr=False, compare=False)


def test_defaults_factories_and_repr_match_a_real_dataclass() -> None:
    light, real = Light(name="a", tags=["x"]), Real(name="a", tags=["x"])
    assert (
        repr(light).replace("Light", "Real") == repr(real) == "Real(name='a', size=3, tags=['x'])"
    )
    assert Light(name="a").tags == [] and Light(name="a").tags is not Light(name="a").tags
    assert Light.size == 3  # a plain default stays a class attribute, as with dataclasses
    assert "tags" not in Light.__dict__ and Light.note == ""


def test_equality_and_hash_use_the_compared_fields_only() -> None:
    assert Light(name="a", note="x") == Light(name="a", note="y")
    assert Light(name="a") != Light(name="b")
    assert Light(name="a", size=1) != Real(name="a", size=1)  # another class is never equal
    frozen = Light(name="a", tags=())  # a hashable value
    assert hash(frozen) == hash(Light(name="a", tags=(), note="other"))


def test_keyword_only_and_complete() -> None:
    with pytest.raises(TypeError, match="keyword arguments only"):
        Light("a")
    with pytest.raises(TypeError, match="missing keyword argument 'name'"):
        Light()
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Light(name="a", colour="red")


def test_frozen() -> None:
    light = Light(name="a")
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'name'"):
        light.name = "b"
    with pytest.raises(AttributeError):
        del light.size
    assert light.name == "a"


def test_replace_without_and_with_dataclasses() -> None:
    options = BuildOptions(scripts=(Path("app.py"),), name="app")
    ours = replace(options, mode=Mode.ONEFILE)
    theirs = dataclasses.replace(options, mode=Mode.ONEFILE)
    assert ours == theirs and ours.mode is Mode.ONEFILE and options.mode is Mode.ONEDIR
    assert type(theirs) is BuildOptions
    with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
        replace(options, nmae="x")


def test_dataclasses_functions_see_the_fields() -> None:
    options = BuildOptions(scripts=(), name="app", extra={"key": "ignored"})
    assert dataclasses.is_dataclass(options)
    names = [f.name for f in dataclasses.fields(BuildOptions)]
    assert names[:3] == ["scripts", "name", "mode"] and names[-1] == "extra"
    assert dataclasses.asdict(options)["extra"] == {"key": "ignored"}
    result = BuildResult(
        output=Path("dist/app"),
        executable=Path("dist/app/app"),
        size=1,
        file_count=1,
        products=Products(Path("build/app/p")),
    )
    assert "products" not in repr(result)
    shown = [f.name for f in dataclasses.fields(result) if f.repr]
    assert shown == ["output", "executable", "size", "file_count", "up_to_date"]


def test_pickle_round_trip() -> None:
    options = BuildOptions(scripts=(Path("a.py"),), name="a", hidden_imports=("json",))
    assert pickle.loads(pickle.dumps(options)) == options


def test_the_quick_path_imports_no_dataclasses() -> None:
    code = (
        "import sys, freezekit.build, freezekit.options;"
        "print(sorted({'dataclasses', 'inspect', 'typing'} & set(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
