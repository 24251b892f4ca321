"""gc_paused(): the cyclic collector off inside the block, exactly as it was after it."""

import gc
import weakref

import pytest

from autograd import Value, gc_paused, grad


@pytest.fixture(autouse=True)
def collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_blocks_nest_and_one_object_can_be_reused():
    pause = gc_paused()
    with pause:
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_restores_the_collector():
    with pytest.raises(ZeroDivisionError):
        with gc_paused():
            1 / 0  # noqa: B018
    assert gc.isenabled()


def test_ctrl_c_as_the_block_starts_leaves_the_collector_as_it_was(monkeypatch):
    def interrupted_disable():
        raise KeyboardInterrupt

    monkeypatch.setattr(gc, "disable", interrupted_disable)
    pause = gc_paused()
    with pytest.raises(KeyboardInterrupt):
        with pause:
            pass
    assert gc.isenabled() and pause._was_enabled == []


class _Node:
    pass


def test_cycles_made_inside_are_collected_after_the_block():
    # Gradients made with create_graph=True are cycles (x.grad's graph holds x): once dropped,
    # only the cyclic collector frees them, and it does once the block has ended.
    with gc_paused():
        x = Value(3.0)
        (x * x).backward(create_graph=True)
        (dx,) = grad(x * x * x, [x], create_graph=True)
        cycle = _Node()
        cycle.me = cycle
        gone = [weakref.ref(x), weakref.ref(cycle)]
        del x, dx, cycle
        assert all(ref() is not None for ref in gone)  # the collector is off
    gc.collect()
    assert all(ref() is None for ref in gone)


def test_graphs_are_freed_inside_the_block_without_the_collector():
    with gc_paused():
        x = Value(1.0)
        y = (x * 2 + 1).relu()
        y.backward()
        node = weakref.ref(y)
        del y
        assert node() is None  # reference counting: no cycle in a graph
