"""certifi: the CA bundle is read through importlib.resources / a file path at run time."""


def hook(api):
    for name in ("cacert.pem", "py.typed"):  # older releases have no py.typed
        if api.module_dir is not None and (api.module_dir / name).exists():
            api.add_datas([(name, "certifi")])
