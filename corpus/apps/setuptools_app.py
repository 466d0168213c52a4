"""setuptools: its vendored packages, the distutils shim (setuptools._distutils as distutils), Distribution objects."""

import distutils.core

import setuptools
from setuptools import Distribution

dist = Distribution({"name": "frozen-app", "version": "1.0", "py_modules": ["m"]})
print(dist.get_name(), dist.get_version(), dist.py_modules)
print(distutils.core.__name__, distutils.__name__, "_distutils" in distutils.__file__)
print(sorted(setuptools.find_namespace_packages(where="/nonexistent")))
from setuptools.command.build_py import build_py

print(build_py.__name__)
