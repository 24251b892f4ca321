"""HIPS autograd (``pip install autograd``) is also imported as ``autograd``.

Installed into one environment with chainrule, each overwrites the other's files, silently.
Importing this module raises a clear ImportError when HIPS autograd's modules sit beside ours.
"""

from __future__ import annotations

import os

_HIPS_FILES = ("tracer.py", "differential_operators.py", "numpy")


def check_no_hips_files(package_dir: str) -> None:
    """Raise ImportError if ``package_dir`` holds HIPS autograd's modules too."""
    found = [name for name in _HIPS_FILES if os.path.exists(os.path.join(package_dir, name))]
    if found:
        raise ImportError(
            f"{package_dir} holds files of two packages named 'autograd': chainrule's and HIPS "
            f"autograd's ({', '.join(found)}; pip install autograd), which overwrite each other. "
            "Use one per environment: pip uninstall autograd chainrule, then reinstall the one "
            "you want, or give each its own virtual environment."
        )


check_no_hips_files(os.path.dirname(os.path.abspath(__file__)))
