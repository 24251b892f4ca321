"""Checkpoint files (.npz) and state-dict validation that never leave a model half loaded.

A checkpoint holds four arrays: a format marker, a version, the parameter names (a unicode
array) with their values (float64), and the saved model's `repr` for error messages. Nothing in
it needs pickle, and loading refuses pickled data (`allow_pickle=False`).
"""

from __future__ import annotations

import io
import math
import numbers
import os
import stat
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np

from autograd.files import write_atomically

FORMAT_MARKER = "chainrule.nn checkpoint"
FORMAT_VERSION = 1

_SHOWN = 5  # how many offending keys an error message lists


class CheckpointError(ValueError):
    """A checkpoint file or state dict that cannot be loaded. The model was left unchanged."""


class LoadResult(NamedTuple):
    """Keys of the model absent from the state, and keys of the state the model does not have."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _some(keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOWN])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > _SHOWN else "")


def check_state(
    state: Mapping[str, object], model_keys: Iterable[str], strict: bool
) -> tuple[dict[str, float], LoadResult]:
    """Validate `state` against a model's keys; return the floats to assign and what differed.

    Raises TypeError for a state that is not a mapping of names to real numbers, and
    CheckpointError for non-finite values or (when `strict`) missing or unexpected keys.
    """
    if not isinstance(state, Mapping):
        raise TypeError(
            f"a state dict must be a mapping of parameter names to numbers, such as "
            f"model.state_dict(); got {type(state).__name__}"
        )
    for key in state:
        if not isinstance(key, str):
            raise TypeError(f"state dict keys must be str; got {key!r} ({type(key).__name__})")
    model_keys = list(model_keys)
    known = set(model_keys)
    missing = [key for key in model_keys if key not in state]
    unexpected = [key for key in state if key not in known]
    if strict and (missing or unexpected):
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing key(s): {_some(missing)}")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected key(s): {_some(unexpected)}")
        raise CheckpointError(
            "the state does not match the model: " + "; ".join(problems)
            + ". Load into a model of the same architecture, or pass strict=False to load "
            "only the keys both have."
        )
    values: dict[str, float] = {}
    non_finite = []
    for key in model_keys:
        if key not in state:
            continue
        value = state[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"state dict value for {key!r} must be a real number; got {type(value).__name__}"
            )
        value = float(value)
        if not math.isfinite(value):
            non_finite.append(key)
        values[key] = value
    if non_finite:
        raise CheckpointError(
            f"the state has non-finite values (nan or inf) for {len(non_finite)} key(s): "
            f"{_some(non_finite)}; a model with such weights cannot be trained or used."
        )
    return values, LoadResult(missing, unexpected)


def write_checkpoint(
    path: str | os.PathLike, state: Mapping[str, float], architecture: str
) -> None:
    """Write `state` to `path` atomically: a temporary file in the same folder, then a rename.

    The path is used as given (no ".npz" is appended). If anything fails, the previous file at
    `path`, if any, is untouched and no temporary file is left behind.
    """
    path = os.fspath(path)
    names = list(state)
    values = np.array([state[name] for name in names], dtype=np.float64)
    bad = [name for name, value in zip(names, values, strict=True) if not math.isfinite(value)]
    if bad:
        raise ValueError(
            f"refusing to save non-finite parameters (nan or inf) {_some(bad)}: such a "
            f"checkpoint could not be loaded back. Find where training diverged first."
        )
    arrays: dict[str, Any] = {
        "format": np.array(FORMAT_MARKER),
        "version": np.array(FORMAT_VERSION, dtype=np.int64),
        "names": np.array(names, dtype=np.str_),
        "values": values,
        "architecture": np.array(architecture),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(path, buffer.getvalue())


def read_checkpoint(
    path: str | os.PathLike, model_keys: Iterable[str] = ()
) -> tuple[dict[str, float], str]:
    """Read and fully validate a checkpoint; return its state and the saved model's repr.

    FileNotFoundError if there is no file; CheckpointError for anything that is not a complete,
    finite chainrule checkpoint (a foreign or truncated file, pickled data, a wrong count), and
    for a path that is not a regular file (a FIFO, a device), refused before it is opened.
    Each array's declared type, shape and size are checked before its data is read: an array
    may take more memory than it takes in the file only up to what the model with parameter
    names ``model_keys`` needs (twice that, so that a near miss still gets a clear message), so
    a small compressed file cannot make the loader allocate gigabytes.
    """
    path = os.fspath(path)
    where = f"{path!r} is not a loadable chainrule checkpoint"
    with _open_regular_file(path, where) as file:
        kind = _kind_of(file.read(8))
        if kind != "zip":
            raise CheckpointError(f"{where}: {kind}")
        file.seek(0)
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise CheckpointError(f"{where}: {_explain(error)}") from error
        with archive:
            arrays = _read_arrays(archive, where, _budgets(list(model_keys)))
    architecture = arrays.get("architecture")
    return _validated_state(arrays, where), (
        str(architecture) if architecture is not None and architecture.shape == () else ""
    )


_MEMBERS = ("format", "version", "names", "values", "architecture")
_SMALL = 64 * 1024  # bytes any array may take regardless of the model (headers, the marker)


def _budgets(model_keys: list[str]) -> dict[str, int]:
    """The bytes each array may expand to beyond its size in the file, for this model."""
    count = len(model_keys)
    longest = max(map(len, model_keys), default=0)
    return {
        "format": _SMALL,
        "version": _SMALL,
        "names": _SMALL + 2 * count * 4 * longest,  # numpy's unicode: 4 bytes a character
        "values": _SMALL + 2 * count * 8,
        "architecture": _SMALL + 2 * count * 400,  # the saved model's repr, for messages
    }


def _open_regular_file(path: str, where: str) -> io.BufferedReader:
    """The file at ``path`` opened for reading, refusing anything but a regular file before
    opening it (a FIFO would block forever, a device would never end)."""
    status = os.stat(path)  # FileNotFoundError, PermissionError as they are
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(f"{path!r} is a directory, not a checkpoint file")
    if not stat.S_ISREG(status.st_mode):
        raise CheckpointError(f"{where}: it is not a regular file (a device, FIFO or socket)")
    # O_NONBLOCK: a FIFO put there since the check must not block the open either.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise CheckpointError(f"{where}: it is not a regular file (a device, FIFO or socket)")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _kind_of(start: bytes) -> str:
    """"zip" for a zip archive (an .npz), else what the file is instead, for the message."""
    if start.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if not start:
        return "the file is empty"
    if start.startswith(b"\x93NUMPY"):
        return "it holds a single numpy array (.npy), not a .npz archive"
    if start.startswith(b"\x80") and len(start) > 1 and start[1] <= 5:
        return (
            "it contains pickled Python objects, which are never loaded because unpickling "
            "can run arbitrary code"
        )
    return f"it is not a zip/.npz archive (it starts with the bytes {start[:8]!r})"


def _read_arrays(
    archive: zipfile.ZipFile, where: str, budgets: dict[str, int]
) -> dict[str, np.ndarray]:
    members = {name.removesuffix(".npy"): name for name in archive.namelist()}
    if "format" not in members or "names" not in members:
        raise CheckpointError(
            f"{where}: it is an .npz archive without chainrule's format marker "
            f"(its arrays: {_some(sorted(members))})"
        )
    for required in ("version", "values"):
        if required not in members:
            raise CheckpointError(f"{where}: its {required!r} array is missing")
    infos = {key: archive.getinfo(members[key]) for key in _MEMBERS if key in members}
    for key, info in infos.items():
        allowed = max(budgets[key], info.compress_size)
        if info.file_size > allowed:
            raise CheckpointError(
                f"{where}: its {key!r} array declares {info.file_size:,} bytes, more than this "
                f"model's checkpoint needs and than it takes in the file ({allowed:,} at most); "
                f"refused before reading it (a corrupt file, or a compressed 'zip bomb')"
            )
    arrays = {}
    try:
        for key, info in infos.items():
            arrays[key] = _read_array(archive, info, key, where)
    except CheckpointError:
        raise
    except Exception as error:
        raise CheckpointError(f"{where}: {_explain(error)}") from error
    return arrays


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, where: str):
    """One .npy member: its header checked against its declared size, then its data."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise CheckpointError(f"{where}: its {key!r} array has .npy version {version}")
        if dtype.hasobject:
            raise CheckpointError(
                f"{where}: its {key!r} array contains pickled Python objects, which are never "
                f"loaded because unpickling can run arbitrary code"
            )
        count = math.prod(shape)
        size = count * dtype.itemsize
        header = member.tell()
        if header + size != info.file_size:
            raise CheckpointError(
                f"{where}: its {key!r} array's header (shape {shape}, {dtype}) does not match "
                f"its size in the archive (corrupt)"
            )
        data = member.read(size)
        if len(data) != size:
            raise CheckpointError(f"{where}: its {key!r} array is truncated")
        member.read()  # to the end of the member, where zipfile checks its CRC
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")


def _validated_state(arrays: dict[str, np.ndarray], where: str) -> dict[str, float]:
    marker, version = arrays["format"], arrays["version"]
    if marker.shape != () or marker.dtype.kind != "U" or str(marker) != FORMAT_MARKER:
        raise CheckpointError(f"{where}: its format marker is {str(marker)[:80]!r}")
    if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
        raise CheckpointError(
            f"{where}: it has format version {version!s}, this chainrule reads version "
            f"{FORMAT_VERSION}"
        )
    names, values = arrays["names"], arrays["values"]
    if names.ndim != 1 or (names.dtype.kind != "U" and names.size):
        raise CheckpointError(f"{where}: its names are not a list of strings")
    if values.ndim != 1 or values.dtype != np.float64:
        raise CheckpointError(
            f"{where}: its values have shape {values.shape} and type {values.dtype}, "
            f"expected a flat float64 array"
        )
    if len(names) != len(values):
        raise CheckpointError(
            f"{where}: it has {len(names)} names but {len(values)} values (corrupt)"
        )
    names_list = [str(name) for name in names]
    if len(set(names_list)) != len(names_list):
        raise CheckpointError(f"{where}: it names some parameter twice (corrupt)")
    pairs = zip(names_list, values, strict=True)
    non_finite = [name for name, value in pairs if not math.isfinite(value)]
    if non_finite:
        raise CheckpointError(
            f"{where}: non-finite values (nan or inf) for {len(non_finite)} key(s): "
            f"{_some(non_finite)}"
        )
    return dict(zip(names_list, values.tolist(), strict=True))


def _explain(error: Exception) -> str:
    text = str(error)
    if isinstance(error, (zipfile.BadZipFile, EOFError)) or "zip" in text.lower():
        return f"it is truncated or not a zip/.npz archive ({type(error).__name__}: {text})"
    return f"{type(error).__name__}: {text}"
