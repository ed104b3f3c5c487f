"""xdptool: inspect and control XDP on Linux network devices."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("xdptool")
except PackageNotFoundError:  # running from a source tree without `pip install`
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
