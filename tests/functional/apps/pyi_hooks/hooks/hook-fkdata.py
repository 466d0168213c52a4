# A hook written for PyInstaller, the way its users write them; freezekit runs it unchanged.
import os

from PyInstaller.utils.hooks import collect_data_files, collect_submodules, copy_metadata

datas = collect_data_files("fkdata") + copy_metadata("fkdata", recursive=True)
hiddenimports = collect_submodules("fkdata.plugins")
module_collection_mode = {"fkdata.plugins": "py"}  # their sources are read (inspect.getsource)


def hook(hook_api):
    here = os.path.dirname(os.path.abspath(__file__))
    hook_api.add_datas([(os.path.join(here, "extra.cfg"), hook_api.__name__)])
