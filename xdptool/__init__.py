"""xdptool: inspect and control XDP on Linux network devices."""

# Read by pyproject.toml (setuptools' attr:) so `xdptool --version` needs no
# importlib.metadata at run time.
__version__ = "0.1.0"

__all__ = ["__version__"]
