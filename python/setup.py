# SPDX-License-Identifier: MIT
"""Builds the `mlprobe` package for `pip install ./python`: the pure Python
package python/mlprobe/ and its C extension mlprobe._core (the probes).

Offline with Debian's python3-setuptools:
    pip install --no-build-isolation ./python
(`make python` builds the same into build/python without pip.)
"""
import os

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
include = os.path.join(here, "..", "include")
if not os.path.exists(os.path.join(include, "mlprobe.h")):
    raise SystemExit("mlprobe: include/mlprobe.h not found next to python/; "
                     "build from a checkout of mlprobe")

setup(
    name="mlprobe",
    version="0.1.0",
    description="Static probes (USDT) for Python trainers, recorded by mlprobe",
    license="MIT",
    python_requires=">=3.9",
    packages=["mlprobe"],
    ext_modules=[Extension(
        "mlprobe._core",
        sources=["mlprobe.c", "gc.c", "names.c", "span.c"],
        include_dirs=[include],
        # -O2: the probe sites are what users run.
        extra_compile_args=["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror"],
    )],
)
