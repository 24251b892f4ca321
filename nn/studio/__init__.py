"""The training studio: watch a network learn in the browser, on chainrule itself.

    python -m nn.studio                      # opens the page; Ctrl-C stops it

    import nn.studio
    studio = nn.studio.serve(dataset="spiral", play=True)   # or serve(model, X, y)
    studio.url                               # http://127.0.0.1:PORT/?token=...
    studio.stop()
    nn.studio.show()                         # in a notebook: the page in an iframe

Training runs in a thread of its own (``trainer.py``); the server (``server.py``, the standard
library's ThreadingHTTPServer) pushes its state to every open page by Server-Sent Events and
takes settings, points and play/pause/step/reset as JSON. ``views.py`` computes what the page
draws; the page itself is ``studio.html``, ``studio.css`` and ``studio.js``.
Uses only the public names of ``autograd`` and ``nn``.
"""

from .launch import Studio, serve, show
from .settings import SettingsError

__all__ = ["SettingsError", "Studio", "serve", "show"]
