import os

from PyInstaller.utils.hooks import logger


def pre_find_module_path(api):
    assert api.module_name == "fkfind"
    assert any(os.path.isfile(os.path.join(d, "fkfind.py")) for d in api.search_dirs)
    here = os.path.dirname(os.path.abspath(__file__))
    api.search_dirs = [os.path.join(here, os.pardir, os.pardir, "vendored")]
    logger.info("fkfind: searched in vendored/")
