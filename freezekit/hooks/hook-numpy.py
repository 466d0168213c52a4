"""numpy: the C core imports pure helpers of numpy._core by name (_exceptions, _internal,
_methods, _dtype_ctypes, ...), and numpy's __getattr__ imports submodules lazily. Its
vendored OpenBLAS and gfortran (numpy.libs/) are found through the extensions' RUNPATH."""


def hook(api):
    core = "numpy._core" if api.submodules("numpy._core") else "numpy.core"
    api.add_imports(*(n for n in api.submodules(core) if ".tests" not in n))
    # build and test tooling, never needed at run time
    api.exclude_imports("numpy.f2py", "numpy.distutils", "pytest", "setuptools", "distutils")
