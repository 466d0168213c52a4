"""tzdata: the IANA database is a tree of data files read through importlib.resources."""


def hook(api):
    api.collect_data("tzdata")
