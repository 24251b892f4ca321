"""Writing files atomically: readers see the old file or the new one, never half of one.

Only regular files are written. What is at the path decides:

- nothing: a new file, with the permissions the umask gives;
- a regular file: replaced whole, keeping its permission bits (and, where allowed, its owner);
  a file we may not write (read-only for us) raises PermissionError, as ``open`` would;
- a symbolic link: refused. Replacing it would silently turn the link into a file, and writing
  through it would replace a file elsewhere, perhaps one the link was planted to reach; the
  error names the link's target so the caller can write there on purpose;
- anything else (a directory, a device such as /dev/null, a FIFO, a socket): refused.

These are checked just before writing; a path swapped for something else in the instant
between the check and the rename is beyond what a rename can prevent (the rename then replaces
the new entry itself and never writes through it).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


class NotARegularFileError(OSError):
    """The path to write holds something other than a regular file (or nothing)."""


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def write_atomically(path: str | os.PathLike[str], content: bytes) -> None:
    """Write `content` to `path` via a temporary file in the same directory and os.replace.

    Raises NotARegularFileError if `path` is a symbolic link, a directory, a device, a FIFO or a
    socket, PermissionError if it is a file we may not write. An existing file keeps its
    permission bits. On any failure (Ctrl-C included) the file is as it was and no temporary
    file is left.
    """
    target = Path(path)
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {os.fspath(path)}: no directory {directory}")
    existing = existing_file(target)
    temporary = directory / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        # "x": created here or not at all; the umask decides its permissions unless a file is
        # being replaced, whose permission bits it takes.
        with open(temporary, "xb") as file:
            if existing is not None:
                _copy_mode_and_owner(file.fileno(), existing)
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        if not (isinstance(error, FileExistsError) and error.filename == os.fspath(temporary)):
            temporary.unlink(missing_ok=True)  # (a name taken by someone else is not ours)
        raise


def existing_file(target: Path) -> os.stat_result | None:
    """The status of the regular file at `target`, None if there is nothing there; raises
    NotARegularFileError or PermissionError for what must not be replaced."""
    try:
        status = os.lstat(target)
    except FileNotFoundError:
        return None
    shown = os.fspath(target)
    if stat.S_ISLNK(status.st_mode):
        raise NotARegularFileError(
            f"refusing to write {shown}: it is a symbolic link (to {os.readlink(target)}); "
            f"write to the file it points to by its own path, or remove the link first"
        )
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a file")
        raise NotARegularFileError(
            f"refusing to write {shown}: it is {kind}, not a regular file; give the path of a "
            f"file to create or replace"
        )
    if not os.access(target, os.W_OK):
        raise PermissionError(
            f"refusing to write {shown}: it is read-only (mode "
            f"{stat.S_IMODE(status.st_mode):04o}); make it writable first, or write elsewhere"
        )
    return status


def _copy_mode_and_owner(descriptor: int, existing: os.stat_result) -> None:
    os.fchmod(descriptor, stat.S_IMODE(existing.st_mode))
    try:
        os.fchown(descriptor, existing.st_uid, existing.st_gid)
    except PermissionError:  # only root may give a file away; the new file is then ours
        pass
