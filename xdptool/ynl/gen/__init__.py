# SPDX-License-Identifier: GPL-2.0-only
"""Generate typed Python bindings from YNL genetlink specs.


A spec (the kernel's YNL format, ``Documentation/netlink/specs/*.yaml``) is
validated against its JSON schema (``<schema-dir>/<protocol>.yaml``), then
checked for what this generator supports, then rendered into one module:
enums for ``enum``/``flags`` definitions, attribute-map message classes with
numbered ``nla_map``\\ s, frozen dataclasses per attribute set, request
builders per operation, and a family class (context manager) with one method
per ``do``/``dump`` plus multicast notifications. The output depends only on
the spec (no timestamps, no absolute paths), so a check can compare bytes.

Numbering follows the kernel's YNL library (tools/net/ynl/lib/nlspec.py):
attributes count from 1 (or from an explicit ``value``), ``flags`` entries
are bit numbers counting from ``value-start`` (default 0), operations count
from 1 in the ``unified`` model, or per direction in ``directional``.

Modules: :mod:`.kernel` finds the kernel's own YNL spec model
(tools/net/ynl, nlspec.py) in the kernel tree the scripts manage;
:mod:`.spec` validates a spec and turns it, with the kernel's model for every
number, into this generator's model; :mod:`.render` writes the Python module;
:mod:`.main` is the command line (``scripts/ynl-gen-python`` calls it).
Generation needs PyYAML and jsonschema (the ``dev`` extra); the generated
modules and the runtime do not.
"""
