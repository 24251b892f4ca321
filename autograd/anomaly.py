"""Anomaly checks: where a nan or inf first appears, forward or backward, and who made it."""

from __future__ import annotations

import math
import os
import sys
import weakref
from collections.abc import Iterable
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograd.value import Value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_PACKAGES = ("autograd", "nn")

# Filled only inside detect_anomaly(); entries go with their nodes.
_creation_sites: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()


def creation_site(node: Value) -> str | None:
    """Where ``node`` was created (file:line: code), if it was created in anomaly mode."""
    return _creation_sites.get(node)


def check_new_node(node: Value) -> None:
    """Record where ``node`` was made; raise if its value is nan or inf."""
    site = _user_frame_description()
    _creation_sites[node] = site
    if not math.isfinite(node.data):
        raise FloatingPointError(
            f"detect_anomaly: op {node.op!r} produced {node.data} from inputs "
            f"({_describe_inputs(node)}){_label(node)}\n  created at {site}"
        )


def propagate_checking(nodes: Iterable[Value]) -> None:
    """The float backward pass, checking every contribution for nan or inf."""
    for node in nodes:
        rule = node.rule
        if rule is None:
            continue
        upstream = node._acc
        for index, (parent, local, contribution) in enumerate(
            zip(node.parents, rule.local_derivatives(node), rule.contributions(node, upstream))
        ):
            check_contribution(node, index, upstream, local, contribution)
            before = parent._acc
            parent._acc = before + contribution
            if not math.isfinite(parent._acc):  # finite contributions can overflow in the sum
                who = repr(parent.label) if parent.label else f"input {index} of op {node.op!r}"
                raise FloatingPointError(
                    f"detect_anomaly: the gradient of {who} (data {parent.data}) sums to "
                    f"{parent._acc}: {before} so far + {contribution} from backward of op "
                    f"{node.op!r}{_label(node)}; inputs ({_describe_inputs(node)})\n"
                    f"  created at {_site(node)}"
                )


def check_contribution(
    node: Value, index: int, upstream: float, local: float, contribution: float
) -> None:
    """Raise FloatingPointError, naming the op and where it was made, if what backward through
    ``node`` gives its input ``index`` is nan or inf."""
    if not math.isfinite(contribution):
        raise FloatingPointError(
            f"detect_anomaly: backward of op {node.op!r}{_label(node)} gave input "
            f"{index} (data {node.parents[index].data}) the gradient {contribution} = upstream "
            f"{upstream} × local {local}; inputs ({_describe_inputs(node)}), output "
            f"{node.data}\n  created at {_site(node)}"
        )


def _site(node: Value) -> str:
    return creation_site(node) or "unknown (made outside detect_anomaly())"


def _label(node: Value) -> str:
    return f" at node {node.label!r}" if node.label else ""


def _describe_inputs(node: Value) -> str:
    return ", ".join(
        f"{p.label}={p.data}" if p.label else repr(p.data) for p in node.parents
    )


def _user_frame_description() -> str:
    # The innermost frame outside chainrule's packages: a node made inside an nn layer is
    # reported at the user's `model(x)`, not at the layer's code.
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and (
        frame.f_globals.get("__name__", "").partition(".")[0] in _LIBRARY_PACKAGES
        or os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR
    ):
        frame = frame.f_back
    if frame is None:
        return "unknown"
    import linecache

    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {code}"
