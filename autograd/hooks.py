"""Gradient hooks: ``v.register_hook(fn)`` calls ``fn(grad)`` once ``v``'s gradient is complete.

A hook sees (as a Value) the gradient a backward pass (``backward`` or ``grad``) has summed at
the node, before it flows on to the node's inputs (or, at a leaf, into ``.grad``); if it returns
something other than None, that replaces the gradient. Hooks live in a table beside the nodes,
not on them, so a pass with no hook anywhere pays one check.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from numbers import Real
from typing import Any

from autograd.value import Value

Hook = Callable[[Any], Any]

# node -> {handle id: hook}, in registration order; entries go with their nodes.
_hooks: weakref.WeakKeyDictionary[Value, dict[int, Hook]] = weakref.WeakKeyDictionary()
_handle_ids = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook (twice is fine)."""

    __slots__ = ("_node", "id")

    def __init__(self, node: Value, handle_id: int) -> None:
        self._node = weakref.ref(node)
        self.id = handle_id

    def remove(self) -> None:
        """Unregister the hook; nothing happens if it is already gone."""
        node = self._node()
        if node is None:
            return
        hooks = _hooks.get(node)
        if hooks is not None:
            hooks.pop(self.id, None)
            if not hooks:
                del _hooks[node]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def register_hook(node: Value, hook: Hook) -> RemovableHandle:
    """Call ``hook(grad)`` when ``node``'s gradient is complete in a backward pass.

        handle = h.register_hook(lambda g: print("dL/dh =", g))
        handle = h.register_hook(lambda g: 2 * g)    # a return value replaces the gradient
        handle.remove()
    """
    if not isinstance(node, Value):
        raise TypeError(f"register_hook() is a method of Value, got {type(node).__name__}")
    if not callable(hook):
        raise TypeError(
            f"register_hook() takes a function of the gradient, got {type(hook).__name__}"
        )
    handle_id = next(_handle_ids)
    _hooks.setdefault(node, {})[handle_id] = hook
    return RemovableHandle(node, handle_id)


def any_hooks() -> bool:
    """True when some live node has a hook (a backward pass then calls ``run_hooks``)."""
    return bool(_hooks)


def run_hooks(node: Value, building_graph: bool) -> None:
    """Pass ``node``'s summed gradient (``node._acc``) through its hooks, in registration order.

    A replacement is kept as a Value only when the pass builds a graph (``create_graph=True``).
    """
    hooks = _hooks.get(node)
    if not hooks:
        return
    for hook in list(hooks.values()):
        gradient = node._acc
        # A hook gets a Value, as PyTorch's gets a tensor: g.item(), g * 2 work as they do there.
        replacement = hook(gradient if isinstance(gradient, Value) else Value(gradient))
        if replacement is None:
            continue
        if isinstance(replacement, bool) or not isinstance(replacement, (Value, Real)):
            raise TypeError(
                f"a gradient hook on {node!r} returned {type(replacement).__name__}; a hook "
                "returns None (keep the gradient) or a number or Value (replace it)"
            )
        if isinstance(replacement, Value):
            node._acc = replacement if building_graph else replacement.data
        else:
            node._acc = float(replacement)


Value.register_hook = register_hook  # type: ignore[assignment]  # node is the method's self
