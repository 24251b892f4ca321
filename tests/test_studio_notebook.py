"""nn.studio.show() in a notebook, executed in a real Jupyter kernel (the notebook extra)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient


def test_show_puts_the_studio_in_an_iframe_and_it_answers():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import nn\nstudio = nn.studio.show(dataset='xor', height=700)"),
        nbformat.v4.new_code_cell(
            "import json, urllib.request\n"
            "state_url = studio.url.replace('/?', '/api/state?')\n"
            "print(json.load(urllib.request.urlopen(state_url))['config']['dataset'])"
        ),
        nbformat.v4.new_code_cell("studio.stop()\nprint(studio.stopped)"),
    ]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    shown, answered, stopped = (cell.outputs for cell in notebook.cells)
    html = next(o["data"]["text/html"] for o in shown if o["output_type"] == "display_data")
    src = re.search(r'<iframe[^>]*src="([^"]+)"', html)
    assert src, html
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", src.group(1))
    assert 'height="700"' in html
    assert answered[0]["text"] == "xor\n"
    assert stopped[0]["text"] == "True\n"


def test_show_outside_a_notebook_would_need_ipython(monkeypatch):
    import builtins

    import nn.studio

    real_import = builtins.__import__

    def no_ipython(name, *args, **kwargs):
        if name.startswith("IPython"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipython)
    with pytest.raises(RuntimeError, match=r"use nn.studio.serve\(\)"):
        nn.studio.show()
