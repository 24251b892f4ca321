"""Starting and stopping the studio: ``serve()`` returns a running :class:`Studio`, ``show()``
puts it in a notebook."""

from __future__ import annotations

import secrets
import threading
from typing import Any

from .server import SOCKET_TIMEOUT, StudioServer
from .trainer import Trainer


class Studio:
    """A running studio: its page at ``.url``; ``.stop()`` ends it (also on leaving a ``with``)."""

    def __init__(self, server: StudioServer, trainer: Trainer) -> None:
        self._server = server
        self._trainer = trainer
        host, port = str(server.server_address[0]), int(server.server_address[1])
        self.port: int = port
        self.url: str = f"http://{host}:{port}/?token={server.token}"
        self._stopped = threading.Event()
        self._serving = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="studio-server",
            daemon=True,
        )
        self._serving.start()

    @property
    def running(self) -> bool:
        """Whether training is playing (not whether the server is up: see ``stopped``)."""
        return self._trainer.running

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def state(self) -> dict[str, Any]:
        """What ``GET /api/state`` returns: step, loss, accuracy, running, config, ..."""
        with self._trainer.exclusive():
            return self._trainer.state()

    def wait(self) -> None:
        """Block until ``stop()`` (Ctrl-C interrupts the wait)."""
        while not self._stopped.wait(0.5):
            pass

    def stop(self) -> None:
        """Stop training, end every event stream, close the socket; returns when all is done.
        Calling it again does nothing."""
        if self._stopped.is_set():
            return
        self._trainer.close()
        self._server.broadcast.close()
        self._server.shutdown()
        self._serving.join()
        self._server.server_close()
        self._server.join_requests(SOCKET_TIMEOUT)
        self._stopped.set()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "running at " + self.url
        return f"<chainrule studio, {state}>"


def serve(
    model: Any = None,
    X: Any = None,
    y: Any = None,
    *,
    port: int = 0,
    play: bool = False,
    **settings: Any,
) -> Studio:
    """Start the studio on 127.0.0.1 and return it (``.url`` to open, ``.stop()`` to end).

    ``model``: an ``nn.MLP`` on 2 inputs with 1 output (2 classes) or K outputs (K classes);
    its architecture is then fixed and Reset restores its weights as given. ``X``, ``y``: your
    points (pairs of numbers) and labels (0..K-1, or -1/+1); else ``dataset=`` one of moons,
    circles, xor, spiral, blobs. ``port`` 0 picks a free port. ``settings`` are the page's
    settings (``learning_rate=0.1, optimizer="sgd", hidden_layers=3, width=16, activation="relu",
    loss="logistic", l2=1e-4, batch_size=16, engine="eager", seed=1``). ``play`` starts training.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int from 0 (any free port) to 65535; got {port!r}")
    trainer = Trainer(model, X, y, settings)
    server = StudioServer(port, trainer, secrets.token_urlsafe(24))
    try:
        trainer.publish = server.broadcast.publish
        with trainer.exclusive():
            trainer.push()
        trainer.start()
    except BaseException:  # Ctrl-C while starting: nothing is left running
        trainer.close()
        server.server_close()
        raise
    studio = Studio(server, trainer)
    if play:
        with trainer.exclusive():
            trainer.control("play")
    return studio


def show(*args: Any, width: str = "100%", height: int = 900, **kwargs: Any) -> Studio:
    """Start the studio (``serve``'s arguments) and show it in the notebook, in an iframe to
    the local server; returns the :class:`Studio`. The browser showing the notebook must run
    on this machine (the server listens on 127.0.0.1 only)."""
    try:
        from IPython.display import IFrame, display
    except ImportError:
        raise RuntimeError(
            "nn.studio.show() displays the studio in a Jupyter notebook and needs IPython; "
            "outside a notebook use nn.studio.serve() and open its .url"
        ) from None
    studio = serve(*args, **kwargs)
    display(IFrame(studio.url, width=width, height=height))
    return studio
