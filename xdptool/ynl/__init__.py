"""Netlink bindings generated from the YNL specs in ynl-specs/.

* :mod:`xdptool.ynl.generated` holds one module per spec, written by
  ``scripts/ynl-gen-python`` (never edited by hand); e.g.
  ``from xdptool.ynl.generated.netdev import Netdev``.
* :mod:`xdptool.ynl.runtime` is the small hand-written part they share: the
  netlink transport and codec, enum/flag base classes and the error types, re-exported
  here.

Example::

    from xdptool.ynl import YnlError
    from xdptool.ynl.generated.netdev import Netdev, XdpAct

    with Netdev() as nd:
        for dev in nd.dev_get_dump():
            print(dev.ifindex, XdpAct.names(dev.xdp_features or 0))
"""

from xdptool.ynl.runtime import FamilyNotFoundError, YnlDecodeError, YnlError, to_spec_dict

__all__ = ["FamilyNotFoundError", "YnlDecodeError", "YnlError", "to_spec_dict"]
