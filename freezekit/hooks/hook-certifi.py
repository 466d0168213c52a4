"""certifi: the CA bundle is read through importlib.resources / a file path at run time."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    for name in ("cacert.pem", "py.typed"):  # older releases have no py.typed
        if api.module_dir is not None and (api.module_dir / name).exists():
            api.add_datas([(name, "certifi")])
