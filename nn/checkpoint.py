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


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, float], str]:
    """Read and fully validate a checkpoint; return its state and the saved model's repr.

    FileNotFoundError if there is no file; CheckpointError for anything that is not a complete,
    finite chainrule checkpoint (a foreign or truncated file, pickled data, a wrong count).
    """
    path = os.fspath(path)
    where = f"{path!r} is not a loadable chainrule checkpoint"
    try:
        archive = np.load(path, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as error:
        raise CheckpointError(f"{where}: {_explain(error)}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise CheckpointError(f"{where}: it holds a single numpy array, not a .npz archive")
    with archive:
        if "format" not in archive.files or "names" not in archive.files:
            raise CheckpointError(
                f"{where}: it is an .npz archive without chainrule's format marker "
                f"(its arrays: {_some(sorted(archive.files))})"
            )
        try:
            arrays = {key: archive[key] for key in ("format", "version", "names", "values")}
            architecture = archive["architecture"] if "architecture" in archive.files else None
        except KeyError as error:
            raise CheckpointError(f"{where}: the array {error} is missing") from error
        except Exception as error:
            raise CheckpointError(f"{where}: {_explain(error)}") from error
    marker, version = arrays["format"], arrays["version"]
    if marker.shape != () or str(marker) != FORMAT_MARKER:
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
    saved_from = str(architecture) if architecture is not None and architecture.shape == () else ""
    return dict(zip(names_list, values.tolist(), strict=True)), saved_from


def _explain(error: Exception) -> str:
    text = str(error)
    if "pickle" in text.lower() or "object arrays" in text.lower():
        return (
            "it contains pickled Python objects, which are never loaded because unpickling "
            "can run arbitrary code"
        )
    if isinstance(error, (zipfile.BadZipFile, EOFError)) or "zip" in text.lower():
        return f"it is truncated or not a zip/.npz archive ({type(error).__name__}: {text})"
    return f"{type(error).__name__}: {text}"
