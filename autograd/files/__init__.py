"""Writing files safely: a file is either written whole or left as it was, and only regular
files are written (never a device, a FIFO, a directory, or through a symbolic link).

Used by the drawing, the explore page, ``nn`` checkpoints and the benchmark's JSON.
"""

from autograd.files.atomic_file import NotARegularFileError, write_atomically

__all__ = ["NotARegularFileError", "write_atomically"]
