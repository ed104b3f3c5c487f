# SPDX-License-Identifier: GPL-2.0-only
"""The kernel's own YNL spec model (nlspec.py), from the kernel tree.

tools/net/ynl/lib/nlspec.py (tools/net/ynl/pyynl/lib/ from 6.14 on) is what
the kernel's Python YNL library and its C code generator use to number enum
values, flag bits, attributes and operations. The generator takes every
number from it instead of re-implementing the rules, and the tests compare
the generated modules with it.

The tree is the one the maintainer scripts manage: $XDPTOOL_KTREE, else
$XDPTOOL_CACHE/linux (default ~/.cache/xdptool/linux), as scripts/lib.sh.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

NLSPEC_PATHS = ("tools/net/ynl/pyynl/lib/nlspec.py", "tools/net/ynl/lib/nlspec.py")


class KernelModelError(Exception):
    """The kernel's YNL library cannot be found or rejects a spec."""


def kernel_tree() -> Path:
    if os.environ.get("XDPTOOL_KTREE"):
        return Path(os.environ["XDPTOOL_KTREE"])
    cache = os.environ.get("XDPTOOL_CACHE") or str(Path.home() / ".cache" / "xdptool")
    return Path(cache) / "linux"


@functools.cache
def nlspec(tree: Path | None = None) -> ModuleType:
    """The nlspec module of the kernel tree (imported once, not installed)."""
    tree = tree or kernel_tree()
    for rel in NLSPEC_PATHS:
        path = tree / rel
        if path.is_file():
            # Loaded as a module of its package: since 7.x nlspec.py imports
            # its siblings relatively (from .specdir import ...).
            name = "_kernel_ynl_lib"
            pkg_spec = importlib.util.spec_from_file_location(
                name, path.parent / "__init__.py", submodule_search_locations=[str(path.parent)])
            assert pkg_spec is not None and pkg_spec.loader is not None
            sys.modules[name] = importlib.util.module_from_spec(pkg_spec)
            spec = importlib.util.spec_from_file_location(f"{name}.nlspec", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            return module
    raise KernelModelError(
        f"the kernel's YNL spec model ({' or '.join(NLSPEC_PATHS)}) is not in {tree}: "
        "run scripts/kernel-tree, or point XDPTOOL_KTREE at a kernel tree")


def load(spec_path: Path, source: str) -> Any:
    """nlspec.SpecFamily of a spec, without schema validation (done before)."""
    try:
        return nlspec().SpecFamily(str(spec_path), schema_path="")
    except KernelModelError:
        raise
    except Exception as err:  # nlspec raises bare Exception/KeyError on bad specs
        raise KernelModelError(
            f"{source}: the kernel's YNL model rejects it: {type(err).__name__}: {err}") from err
