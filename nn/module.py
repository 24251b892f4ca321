"""`Module`: the base class of every network piece, finding its parameters by attribute name."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from autograd import Value

from .checkpoint import CheckpointError, LoadResult, check_state, read_checkpoint, write_checkpoint


class Module:
    """Base class: parameters are the `Value`s held in public attributes (directly, in lists or
    tuples, or inside sub-modules), named by their path, e.g. `layers.0.neurons.3.w.1`.

    Subclasses define `__call__` (micrograd style) or `forward`. A subclass may list in
    `buffer_names` the attributes holding lists of floats that belong in the state but are not
    trained (BatchNorm's running statistics). Subclasses need not call `super().__init__()`.
    """

    training: bool = True
    buffer_names: tuple[str, ...] = ()

    def __call__(self, *args, **kwargs):
        forward = getattr(self, "forward", None)
        if forward is None:
            raise NotImplementedError(
                f"{type(self).__name__} must define __call__ or forward to be called"
            )
        return forward(*args, **kwargs)

    # -- finding parameters and sub-modules ------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Value | Module]]:
        """Direct members: (name, Value or Module) from public attributes, lists flattened."""
        stack = [(name, item) for name, item in vars(self).items() if not name.startswith("_")]
        stack.reverse()
        while stack:
            name, item = stack.pop()
            if isinstance(item, (Value, Module)):
                yield name, item
            elif isinstance(item, (list, tuple)):
                stack.extend(reversed([(f"{name}.{i}", x) for i, x in enumerate(item)]))

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module (named "") and every sub-module, each once, with their dotted names."""
        found: list[tuple[str, Module]] = []
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            found.append((prefix, module))
            children = [
                (_join(prefix, name), item)
                for name, item in module._members()
                if isinstance(item, Module)
            ]
            stack.extend(reversed(children))
        return found

    def children(self) -> list[Module]:
        """The direct sub-modules, each once, in definition order."""
        found: dict[int, Module] = {}
        for _, item in self._members():
            if isinstance(item, Module):
                found.setdefault(id(item), item)
        return list(found.values())

    def modules(self) -> list[Module]:
        """This module and every sub-module below it, each once (as `named_modules()`)."""
        return [module for _, module in self.named_modules()]

    def apply(self, fn: Callable[[Module], object]) -> Module:
        """Call `fn` on every sub-module, then on this one (as PyTorch, children first, e.g. to
        initialise weights); returns this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter once, in definition order, with its stable dotted name."""
        found: list[tuple[str, Value]] = []
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, item in module._members():
                if isinstance(item, Value) and id(item) not in seen:
                    seen.add(id(item))
                    found.append((_join(prefix, name), item))
        return found

    def parameters(self) -> list[Value]:
        """Every parameter once, in the order of `named_parameters()`."""
        return [parameter for _, parameter in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set every parameter's `.grad` to 0 (backward accumulates, so call it before each).

        micrograd's default; `set_to_none=True` sets None instead, as PyTorch 2's default does
        (optimizers' `zero_grad()` do that by default; backward counts None as 0).
        """
        cleared = None if set_to_none else 0.0
        for parameter in self.parameters():
            parameter.grad = cleared

    # -- modes -----------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Put this module and all sub-modules in training mode (or eval with `mode=False`)."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) takes a bool; got {type(mode).__name__}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode for this module and all sub-modules (dropout off, BatchNorm frozen)."""
        return self.train(False)

    # -- state -----------------------------------------------------------------------------

    def _state_slots(self) -> dict[str, tuple[Any, int | None]]:
        """Where each state entry lives: (Value, None) for a parameter, (list, index) for a
        buffer element."""
        slots: dict[str, tuple[Any, int | None]] = {
            name: (parameter, None) for name, parameter in self.named_parameters()
        }
        for prefix, module in self.named_modules():
            for buffer_name in module.buffer_names:
                buffer = getattr(module, buffer_name)
                for index in range(len(buffer)):
                    slots[_join(prefix, f"{buffer_name}.{index}")] = (buffer, index)
        return slots

    def state_dict(self, torch_names: bool = False) -> dict[str, Any]:
        """A snapshot of every parameter's (and buffer's) value as floats, by dotted name.

        With `torch_names=True`: the arrays `nn.to_torch(self).state_dict()` holds, under the
        same names and shapes (float64 numpy arrays), e.g. `{"0.weight": ..., "0.bias": ...}`.
        """
        if torch_names:
            from .bridge import torch_tensors

            return {
                name: np.array(_numbers(values), dtype=np.float64)
                for name, values in torch_tensors(self).items()
            }
        return {
            name: (holder.data if index is None else float(holder[index]))
            for name, (holder, index) in self._state_slots().items()
        }

    def load_state_dict(self, state: Mapping[str, float], strict: bool = True) -> LoadResult:
        """Set parameters from `state`, after validating all of it: on any error nothing changes.

        With `strict=True` (default) the keys must match exactly; with `strict=False` only the
        keys both have are loaded. Returns the missing and unexpected keys. A state of arrays
        (or tensors) under torch's names, such as `torch_model.state_dict()`, loads too.
        """
        if any(_is_array(value) for value in _values(state)):
            state = self._from_torch_names(state, strict)
        slots = self._state_slots()
        values, result = check_state(state, slots, strict)
        before = {name: _read_slot(*slots[name]) for name in values}
        try:
            for name, value in values.items():
                _write_slot(*slots[name], value)
        except BaseException:  # Ctrl-C half way: every value back as it was
            _put_back(slots, before)
            raise
        return result

    def _from_torch_names(self, state: Mapping[str, Any], strict: bool) -> dict[str, float]:
        """A torch-named state of arrays as this model's dotted names and floats."""
        from .bridge import torch_tensors

        tensors = torch_tensors(self)
        missing = [name for name in tensors if name not in state]
        unexpected = [name for name in state if name not in tensors]
        if strict and (missing or unexpected):
            raise CheckpointError(
                f"the torch-named state does not match the model: missing {missing}, "
                f"unexpected {unexpected}; the model's names are {list(tensors)}"
            )
        names = {id(p): name for name, p in self.named_parameters()}
        flat: dict[str, float] = {}
        for name, values in tensors.items():
            if name not in state:
                continue
            array = np.asarray(state[name], dtype=np.float64)
            shape = np.shape(_numbers(values))
            if array.shape != shape:
                raise CheckpointError(f"{name!r} has shape {array.shape}; the model's is {shape}")
            for value, number in zip(np.ravel(np.array(values, dtype=object)), array.ravel()):
                flat[names[id(value)]] = float(number)
        return flat

    def save(self, path: str | os.PathLike) -> None:
        """Write the state to a .npz checkpoint at `path` atomically (temporary file + rename)."""
        write_checkpoint(path, self.state_dict(), repr(self))

    def load(self, path: str | os.PathLike, strict: bool = True) -> LoadResult:
        """Load a checkpoint written by `save`. The file is fully read and validated first; on
        any failure the model is left exactly as it was. Never unpickles."""
        state, saved_from = read_checkpoint(path, self._state_slots())
        try:
            return self.load_state_dict(state, strict)
        except CheckpointError as error:
            raise CheckpointError(
                f"cannot load {os.fspath(path)!r}: {error}\n"
                f"The checkpoint was saved from:\n{saved_from}\nThis model is:\n{self!r}"
            ) from None

    # -- display ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        children = [(name, item) for name, item in self._members() if isinstance(item, Module)]
        if not children:
            return f"{type(self).__name__}()"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        lines.append(")")
        return "\n".join(lines)


def _numbers(values: Any) -> Any:
    """A nested list of Values as the same nesting of their floats."""
    if isinstance(values, Value):
        return values.data
    return [_numbers(item) for item in values]


def _is_array(value: Any) -> bool:
    """An array, tensor or list of numbers (a torch-named state's entry), not one number."""
    if isinstance(value, (list, tuple)):
        return True
    return len(getattr(value, "shape", ())) > 0


def _values(state: Any) -> list[Any]:
    return list(state.values()) if isinstance(state, Mapping) else []


def _read_slot(holder: object, index: int | None) -> float:
    return holder.data if index is None else holder[index]  # type: ignore[attr-defined, index]


def _write_slot(holder: object, index: int | None, value: float) -> None:
    if index is None:
        holder.data = value  # type: ignore[attr-defined]
    else:
        holder[index] = value  # type: ignore[index]


def _put_back(slots: dict[str, tuple[object, int | None]], before: dict[str, float]) -> None:
    try:
        for name, value in before.items():
            _write_slot(*slots[name], value)
    except BaseException:
        _put_back(slots, before)  # a second interrupt cut this short: finish, then pass it on
        raise


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name
