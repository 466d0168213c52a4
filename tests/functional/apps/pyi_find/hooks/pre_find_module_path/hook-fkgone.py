def pre_find_module_path(api):
    api.search_dirs = []
