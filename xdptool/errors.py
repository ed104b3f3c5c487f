"""The one exception type the CLI turns into a single line on stderr."""

from __future__ import annotations

from xdptool.names import quoted


class XdptoolError(Exception):
    """An error the user can act on; str(err) is the whole message (no prefix)."""


class NoSuchDeviceError(XdptoolError):
    def __init__(self, ifname: str) -> None:
        super().__init__(f"no such device: {quoted(ifname)}")
        self.ifname = ifname


class PermissionDeniedError(XdptoolError):
    def __init__(self, what: str, capability: str) -> None:
        super().__init__(f"permission denied: {what} needs {capability}")
        self.capability = capability


class KernelUnsupportedError(XdptoolError):
    """The running kernel lacks something; the message says what and how to fix it."""
