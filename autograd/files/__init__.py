"""Writing files safely: a file is either written whole or left as it was.

Used by the drawing, the explore page, ``nn`` checkpoints and the benchmark's JSON.
"""

from autograd.files.atomic_file import write_atomically

__all__ = ["write_atomically"]
