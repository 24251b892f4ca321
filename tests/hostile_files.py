"""Things that can sit at a path instead of a regular file, for the saving and loading tests."""

from __future__ import annotations

import os
import socket
import stat
import zipfile
from pathlib import Path

import numpy as np

from nn.checkpoint import FORMAT_MARKER


def char_device(path: Path) -> Path:
    """A character device like /dev/null: made here as root, else /dev/null itself (which a
    non-root process cannot replace anyway, so the refusal is still what is tested)."""
    if os.geteuid() == 0:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return path
    return Path(os.devnull)


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def unix_socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays
    return path


def directory(path: Path) -> Path:
    path.mkdir()
    return path


NOT_REGULAR = {
    "character device": char_device,
    "FIFO": fifo,
    "socket": unix_socket,
    "directory": directory,
}


def identity(path: Path) -> tuple:
    """What must not change about whatever is at ``path``."""
    status = os.lstat(path)
    return status.st_mode, status.st_ino, status.st_rdev


def npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape!r}, }}"
    header += " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()


def zip_bomb(path: Path, names: list[str], declared_values: int) -> None:
    """A checkpoint whose 'values' array is `declared_values` zeros, deflated: a few KiB in the
    file per MiB in memory. Its other arrays are those of a real checkpoint."""
    with zipfile.ZipFile(path, "w") as archive:
        for key, array in [
            ("format", np.array(FORMAT_MARKER)),
            ("version", np.array(1, dtype=np.int64)),
            ("names", np.array(names)),
        ]:
            with archive.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, array)
        info = zipfile.ZipInfo("values.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(npy_header((declared_values,), "<f8"))
            chunk = bytes(8 << 20)
            left = declared_values * 8
            while left:
                member.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))


__all__ = ["NOT_REGULAR", "identity", "npy_header", "zip_bomb"]
