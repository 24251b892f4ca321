"""Hostile paths for everything that writes or reads a file: devices, FIFOs, sockets,
directories and symbolic links where a file should be, permission bits, zip bombs, junk and
Ctrl-C during a load. Writers refuse what is not a regular file; a load is all or nothing."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn
from autograd import Value
from autograd.cli.main import main as cli_main
from autograd.files import NotARegularFileError, write_atomically
from nn.checkpoint import FORMAT_MARKER
from tests.hostile_files import NOT_REGULAR, identity, npy_header, zip_bomb
from tests.interrupting import every_interruption


def _graph() -> Value:
    return (Value(2.0, label="x") * Value(-3.0, label="w")).tanh()


# Every writer of the project, each given a path with the extension it needs.
WRITERS = {
    "model.save": (".npz", lambda path: nn.MLP(1, [1], rng=0).save(path)),
    "render svg": (".svg", lambda path: autograd.render(_graph(), path)),
    "render dot": (".dot", lambda path: autograd.render(_graph(), path)),
    "explore": (".html", lambda path: autograd.explore(_graph(), path)),
    "write_atomically": (".json", lambda path: write_atomically(path, b"{}")),
}


def _at(tmp_path: Path, extension: str, name: str = "target") -> Path:
    return tmp_path / f"{name}{extension}"


# ----- saving over something that is not a regular file ------------------------------------


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("kind", NOT_REGULAR)
def test_a_writer_refuses_what_is_not_a_regular_file(tmp_path, writer, kind) -> None:
    extension, write = WRITERS[writer]
    path = NOT_REGULAR[kind](_at(tmp_path, extension))
    before = identity(path)
    with pytest.raises(NotARegularFileError, match="not a regular file"):
        write(path)
    assert identity(path) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_writer_refuses_a_symbolic_link_and_names_its_target(tmp_path, writer) -> None:
    extension, write = WRITERS[writer]
    target = _at(tmp_path, extension, "real")
    target.write_bytes(b"keep me")
    link = _at(tmp_path, extension, "link")
    link.symlink_to(target)
    dangling = _at(tmp_path, extension, "dangling")
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (link, dangling):
        with pytest.raises(NotARegularFileError, match="symbolic link"):
            write(path)
        assert path.is_symlink()
    assert target.read_bytes() == b"keep me" and not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_a_writer_keeps_the_permission_bits_of_the_file_it_replaces(tmp_path, writer, mode):
    if mode == 0o444 and os.geteuid() != 0:
        pytest.skip("only root may replace a read-only file; see the test below")
    extension, write = WRITERS[writer]
    path = _at(tmp_path, extension)
    path.write_bytes(b"old")
    path.chmod(mode)
    write(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert path.read_bytes() != b"old"


def test_a_read_only_file_is_not_replaced_by_a_user_who_may_not_write_it() -> None:
    folder = Path(tempfile.mkdtemp(prefix="chainrule-read-only-"))
    try:
        folder.chmod(0o777)  # an ordinary user may create files here, as in a home directory
        path = folder / "read-only.json"
        path.write_bytes(b"old")
        path.chmod(0o444)
        # As root every file is writable: the child drops to an ordinary user (nobody) first.
        script = textwrap.dedent(f"""
            import os
            from autograd.files import write_atomically
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            try:
                write_atomically({str(path)!r}, b"new")
            except PermissionError as error:
                print("refused:", error)
        """)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              cwd=Path(__file__).parents[1], timeout=60)
        assert "refused:" in done.stdout and "read-only" in done.stdout, done.stderr
        assert path.read_bytes() == b"old"
        assert [p.name for p in folder.iterdir()] == ["read-only.json"]
    finally:
        shutil.rmtree(folder)


def test_the_cli_refuses_a_device_as_output_with_a_message(tmp_path, capsys) -> None:
    device = NOT_REGULAR["character device"](tmp_path / "null.svg")
    before = identity(device)
    assert cli_main(["draw", "x*y", "x=1", "y=2", "-o", str(device)]) == 1
    assert "not a regular file" in capsys.readouterr().err
    assert identity(device) == before


# ----- loading what is not a checkpoint file ------------------------------------------------


def _load_in_child(path: Path) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        import nn
        try:
            nn.MLP(1, [1]).load({str(path)!r})
        except Exception as error:
            print(type(error).__name__, error)
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).parents[1], timeout=60)


@pytest.mark.parametrize("kind", ["FIFO", "character device", "socket"])
def test_loading_a_fifo_or_device_is_refused_at_once(tmp_path, kind) -> None:
    path = NOT_REGULAR[kind](tmp_path / "model.npz")
    done = _load_in_child(path)  # a hang would end in TimeoutExpired
    assert done.stdout.startswith("CheckpointError") and "not a regular file" in done.stdout


def test_loading_dev_zero_is_refused_at_once() -> None:
    done = _load_in_child(Path("/dev/zero"))
    assert done.stdout.startswith("CheckpointError") and "not a regular file" in done.stdout


def test_loading_a_directory_is_a_directory_error(tmp_path) -> None:
    with pytest.raises(IsADirectoryError):
        nn.MLP(1, [1]).load(tmp_path)


# ----- checkpoints that lie about their sizes ---------------------------------------------


def test_a_zip_bomb_is_refused_before_its_data_is_read(tmp_path) -> None:
    model = nn.MLP(2, [3, 1], rng=0)
    path = tmp_path / "bomb.npz"
    zip_bomb(path, list(model.state_dict()), declared_values=8 << 20)  # 64 MiB of zeros
    assert path.stat().st_size < 200_000
    before = model.state_dict()
    tracemalloc.start()
    try:
        with pytest.raises(nn.CheckpointError, match="'values' array declares 67,108,9"):
            model.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20  # nothing near the 64 MiB the archive declares was allocated
    assert model.state_dict() == before


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _members(model: nn.Module, **changes: bytes | None) -> dict[str, bytes]:
    state = model.state_dict()
    members = {
        "format.npy": _npy(np.array(FORMAT_MARKER)),
        "version.npy": _npy(np.array(1, dtype=np.int64)),
        "names.npy": _npy(np.array(list(state))),
        "values.npy": _npy(np.array(list(state.values()))),
    }
    for name, data in changes.items():
        if data is None:
            del members[f"{name}.npy"]
        else:
            members[f"{name}.npy"] = data
    return members


BAD_CHECKPOINTS = [
    # (what, how to write it, what the message must say, what it must not say)
    ("random bytes", lambda p, m: p.write_bytes(bytes(range(256)) * 4),
     "not a zip/.npz archive", "pickled"),
    ("text", lambda p, m: p.write_text("weights: 1, 2, 3\n"), "not a zip/.npz archive", "pickled"),
    ("empty", lambda p, m: p.write_bytes(b""), "the file is empty", "pickled"),
    ("no version", lambda p, m: _archive(p, _members(m, version=None)),
     "its 'version' array is missing", "is not a file in the archive"),
    ("no values", lambda p, m: _archive(p, _members(m, values=None)),
     "its 'values' array is missing", "is not a file in the archive"),
    ("header larger than data", lambda p, m: _archive(
        p, _members(m, values=npy_header((10**6,), "<f8") + bytes(8 * 13))),
     "does not match its size", "Traceback"),
    ("header smaller than data", lambda p, m: _archive(
        p, _members(m, values=npy_header((1,), "<f8") + bytes(8 * 13))),
     "does not match its size", "Traceback"),
    ("pickled object array", lambda p, m: _archive(
        p, _members(m, names=npy_header((1,), "|O") + b"\x80\x04N.")),
     "pickled Python objects", "Traceback"),
]


@pytest.mark.parametrize(("what", "write", "says", "never"), BAD_CHECKPOINTS,
                         ids=[case[0] for case in BAD_CHECKPOINTS])
def test_a_bad_checkpoint_gets_a_message_that_says_what_is_wrong(tmp_path, what, write, says,
                                                                   never) -> None:
    model = nn.MLP(2, [3, 1], rng=0)
    path = tmp_path / "bad.npz"
    write(path, model)
    before = model.state_dict()
    with pytest.raises(nn.CheckpointError) as info:
        model.load(path)
    assert says in str(info.value) and never not in str(info.value)
    assert model.state_dict() == before


# ----- Ctrl-C during a load -----------------------------------------------------------------


def test_a_load_interrupted_anywhere_is_all_or_nothing(tmp_path) -> None:
    saved = nn.MLP(1, [2, 1], rng=1)
    path = tmp_path / "model.npz"
    saved.save(path)
    wanted = saved.state_dict()

    def prepare():
        model = nn.MLP(1, [2, 1], rng=2)
        return model, model.state_dict()

    count = 0
    # Every third of the ~2,000 lines a load runs: the commit of 7 values is about 20 of them.
    for _, (model, before) in every_interruption(
        prepare, lambda s: s[0].load(path), every=3
    ):
        count += 1
        assert model.state_dict() in (before, wanted)
        model.load(path)
        assert model.state_dict() == wanted
    assert count > 300


def test_a_load_state_dict_interrupted_anywhere_is_all_or_nothing() -> None:
    wanted = nn.MLP(1, [2, 1], rng=1).state_dict()

    def prepare():
        model = nn.MLP(1, [2, 1], rng=2)
        return model, model.state_dict()

    for _, (model, before) in every_interruption(
        prepare, lambda s: s[0].load_state_dict(wanted)
    ):
        assert model.state_dict() in (before, wanted)
