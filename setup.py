"""Builds the sentry._native extension with cffi; everything else is in pyproject.toml.

setuptools reads `cffi_modules` only from setup.py. cffi executes native/build.py (path
relative to this directory, which is the working directory of every build) and compiles
its `ffibuilder` into the module named by its set_source(), `sentry._native`.
"""

from setuptools import setup

setup(cffi_modules=["native/build.py:ffibuilder"])
