"""Run the benchmark: python -m bench [--quick] [--json PATH].

Everything runs in this one process, interleaved and repeated; the table reports medians and
ratios, and the same numbers go to a JSON file.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

from tqdm.auto import tqdm

import autograd
from autograd.files import write_atomically
from bench import compiled, graphs, mnist
from bench.lecture import lecture_compile_seconds, lecture_compiled_step, lecture_step
from bench.moons_step import chainrule_step, floor_step, layer_weights, make_problem, micrograd_step

DEFAULT_JSON = os.path.join(os.path.dirname(__file__), "results", "latest.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, small graphs (a check)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs of each workload")
    parser.add_argument("--json", default=DEFAULT_JSON, help="where to write the results")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("micrograd") is None:
        print(
            "python -m bench times chainrule side by side with micrograd, which is not "
            "installed.\nInstall the bench extra: pip install -e '.[bench]' (or pip install "
            "micrograd==0.1.0), then run it again.",
            file=sys.stderr,
        )
        return 2
    repeats = args.repeats or (1 if args.quick else 7)
    graph_samples = 10 if args.quick else 100  # samples in the micrograd-shaped moons graph
    chain_length = 5_000 if args.quick else 1_000_000

    results: dict[str, Any] = {"machine": machine(), "repeats": repeats, "quick": args.quick}
    # Each section: (key in the results, what it measures, how). A new row of the table is a
    # new entry here and a few lines in format_table.
    sections: list[tuple[str, str, Callable[[], Any]]] = [
        ("moons_step", "the moons step, every implementation",
         lambda: moons_step(repeats, 2 if args.quick else STEPS_PER_BLOCK)),
        ("throughput", "node throughput", lambda: throughput(repeats, graph_samples)),
        ("memory", "memory per node", lambda: memory_per_node(graph_samples)),
        ("depth_and_width", "depth and width", lambda: depth_and_width(chain_length)),
        ("mnist_step", "an MNIST-size step, compiled on arrays vs NumPy",
         lambda: mnist.mnist_step(repeats, args.quick)),
        ("compiled", "compiled replay: digits epoch, cost of compiling",
         lambda: {"digits_epoch": compiled.digits_epoch(repeats, args.quick),
                  "compile_cost": compiled.compile_cost(repeats, include_large=not args.quick)}),
    ]
    seconds = {}
    # Progress between sections only (on standard error), never inside a timed run.
    with tqdm(sections, desc="benchmark", unit="section", leave=False) as bar:
        for key, title, run in bar:
            bar.set_postfix_str(title)
            start = time.perf_counter()
            results[key] = run()
            seconds[key] = time.perf_counter() - start
    print("measured in " + ", ".join(f"{key} {s:.1f} s" for key, s in seconds.items()) + "\n")

    print(format_table(results))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    write_atomically(args.json, json.dumps(results, indent=2).encode())
    print(f"\nwritten to {args.json}")
    return 0


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            lines = [line for line in file if line.startswith("model name")]
        names = [line.split(":", 1)[1].strip() for line in lines]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": platform.platform(), "load_average": os.getloadavg()[0]}


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()  # every run starts without the previous runs' garbage
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


# ----- 1. the moons training step ---------------------------------------------------------------


STEPS_PER_BLOCK = 4


# Steps run inside a context manager the user adds around the loop; the others in a plain loop.
IN_BLOCK = {"lecture_gc_paused": autograd.gc_paused}


def _timed_block(
    step: Callable[[], float], count: int, block: Callable[[], Any] | None = None
) -> tuple[list[float], list[float]]:
    """Seconds of each of ``count`` consecutive steps, and their losses.

    The first step starts from a clean heap (one untimed collection before the block keeps the
    previous engine's garbage out of this one's time). The later ones are steady-state training,
    as in a user's loop: the garbage collector runs when it runs, and each step pays for what
    earlier steps left behind. That is where micrograd loses most: its graphs are reference
    cycles (each node's backward closure holds the node), so only the cyclic collector frees
    them; chainrule's graphs have no cycles and are freed by reference counting the moment a step
    drops them.
    """
    gc.collect()
    seconds, losses = [], []
    with block() if block is not None else contextlib.nullcontext():
        for _ in range(count):
            start = time.perf_counter()
            losses.append(step())
            seconds.append(time.perf_counter() - start)
    return seconds, losses


def moons_step(repeats: int, steps_per_block: int = STEPS_PER_BLOCK) -> dict[str, Any]:
    xs, ys, model = make_problem()
    weights = layer_weights(model)
    # Every implementation starts from the same weights; each row of the table is one entry.
    steps = {
        "chainrule": chainrule_step(xs, ys, model),
        "lecture": lecture_step(xs, ys, weights),
        "lecture_gc_paused": lecture_step(xs, ys, weights),
        "micrograd": micrograd_step(xs, ys, weights),
        "floor": floor_step(xs, ys, weights),
        "compiled": compiled.compiled_step(xs, ys),
        "compiled_batch": compiled.compiled_batch_step(xs, ys),
        "lecture_compiled": lecture_compiled_step(xs, ys, weights),
    }
    compile_times: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in steps}
    first_steps: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        losses = {}
        for name, step in steps.items():
            seconds, losses[name] = _timed_block(step, steps_per_block, IN_BLOCK.get(name))
            first_steps[name].append(seconds[0])
            times[name].append(statistics.fmean(seconds[1:]))
        compile_times.append(lecture_compile_seconds(xs, ys, weights))
        reference = losses["floor"]
        for name, block in losses.items():
            # The same weights, data and updates: the losses agree to rounding, step by step.
            for loss, expected in zip(block, reference):
                assert abs(loss - expected) <= 1e-9 * abs(expected), (name, loss, expected)
    medians = {name: statistics.median(t) for name, t in times.items()}
    clean = {name: statistics.median(t) for name, t in first_steps.items()}

    def spread(slow: str, fast: str) -> list[float]:
        """The lowest and highest ratio of one run's step times (runs side by side)."""
        ratios = [a / b for a, b in zip(times[slow], times[fast])]
        return [min(ratios), max(ratios)]

    return {
        "seconds": medians,
        # micrograd's step moves most from run to run (its garbage is reference cycles, which
        # only the collector frees): each ratio's lowest and highest over the runs
        "ratio_spread": {
            "nn_over_micrograd": spread("micrograd", "chainrule"),
            "lecture_over_micrograd": spread("micrograd", "lecture"),
            "lecture_gc_paused_over_micrograd": spread("micrograd", "lecture_gc_paused"),
            "lecture_compiled_over_floor": spread("floor", "lecture_compiled"),
        },
        "micrograd_seconds_spread": [min(times["micrograd"]), max(times["micrograd"])],
        "first_step_seconds": clean,
        "first_step_speedup_over_micrograd": clean["micrograd"] / clean["chainrule"],
        "speedup_over_micrograd": medians["micrograd"] / medians["chainrule"],
        "lecture_speedup_over_micrograd": medians["micrograd"] / medians["lecture"],
        "lecture_gc_paused_speedup_over_micrograd": (
            medians["micrograd"] / medians["lecture_gc_paused"]
        ),
        "lecture_first_step_speedup_over_micrograd": clean["micrograd"] / clean["lecture"],
        "times_the_floor": medians["chainrule"] / medians["floor"],
        "compiled_speedup_over_floor": medians["floor"] / medians["compiled"],
        "compiled_batch_speedup_over_floor": medians["floor"] / medians["compiled_batch"],
        "lecture_compiled_speedup_over_floor": medians["floor"] / medians["lecture_compiled"],
        "lecture_compile_seconds": statistics.median(compile_times),
        "lecture_compile_in_floor_steps": statistics.median(compile_times) / medians["floor"],
        "final_loss": losses["chainrule"][-1],
        "steps_per_block": steps_per_block,
    }


# ----- 2. node throughput -----------------------------------------------------------------------


def throughput(repeats: int, samples: int = 100) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for engine in ("chainrule", "micrograd"):
        build_rates, backward_rates = [], []
        for _ in range(repeats):
            build = partial(graphs.binary_moons_graph, engine, samples=samples)
            seconds, (root, nodes) = _timed(build)
            build_rates.append(nodes / seconds)
            seconds, _ = _timed(root.backward)
            backward_rates.append(nodes / seconds)
            del root
        out[engine] = {
            "nodes": nodes,
            "build_nodes_per_second": statistics.median(build_rates),
            "backward_nodes_per_second": statistics.median(backward_rates),
        }
    return out


# ----- 3. memory --------------------------------------------------------------------------------


def memory_per_node(samples: int = 100) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for engine in ("chainrule", "micrograd"):
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        root, nodes = graphs.binary_moons_graph(engine, samples=samples)
        root.backward()  # gradients are part of a graph's footprint
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        del root
        out[engine] = {"nodes": nodes, "bytes_per_node": used / nodes}
    out["chainrule_share_of_micrograd"] = (
        out["chainrule"]["bytes_per_node"] / out["micrograd"]["bytes_per_node"]
    )
    return out


# ----- 4. depth and width -----------------------------------------------------------------------


def depth_and_width(length: int) -> dict[str, Any]:
    out: dict[str, Any] = {"length": length}
    for name, build in (("chain", graphs.chain), ("sum_values", graphs.wide_sum),
                        ("python_sum", graphs.python_sum)):
        seconds_build, (root, leaf) = _timed(lambda b=build: b("chainrule", length))
        seconds_backward, _ = _timed(root.backward)
        del root, leaf
        gc.collect()
        tracemalloc.start()
        root, leaf = build("chainrule", length)
        root.backward()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del root, leaf
        out[name] = {"build_seconds": seconds_build, "backward_seconds": seconds_backward,
                     "peak_megabytes": peak / 2**20}
    root, _ = graphs.chain("micrograd", 10_000)
    try:
        root.backward()
        out["micrograd_chain_of_10000"] = "completed"
    except RecursionError as error:
        out["micrograd_chain_of_10000"] = f"RecursionError: {error}"
    return out


# ----- the table --------------------------------------------------------------------------------


def format_table(r: dict[str, Any]) -> str:
    m, t, mem, d = r["moons_step"], r["throughput"], r["memory"], r["depth_and_width"]
    s = m["seconds"]

    def runs(key: str) -> str:
        low, high = m["ratio_spread"][key]
        return f"(runs {low:.1f}x to {high:.1f}x)"

    low, high = (seconds * 1e3 for seconds in m["micrograd_seconds_spread"])
    load = r["machine"].get("load_average")
    lines = [
        f"machine: {r['machine']['cpu']}, {r['machine']['cores']} cores, "
        f"Python {r['machine']['python']}"
        + (f", load average {load:.1f} at the start" if load is not None else "")
        + f"; medians of {r['repeats']} runs",
        "",
        "moons step (100 samples, MLP(2, [16, 16, 1]), hinge + L2, SGD): steps 2 to "
        f"{m['steps_per_block']} of runs of consecutive steps, the garbage collector running as in "
        "training",
        f"  micrograd                              {s['micrograd'] * 1e3:9.1f} ms   "
        f"(runs {low:.0f} to {high:.0f} ms)",
        f"  chainrule, nn.MLP (fused linear nodes) {s['chainrule'] * 1e3:9.1f} ms   "
        f"{m['speedup_over_micrograd']:5.1f}x faster than micrograd {runs('nn_over_micrograd')}",
        "  chainrule, lecture-style binary * and +",
        f"    in a plain loop                      {s['lecture'] * 1e3:9.1f} ms   "
        f"{m['lecture_speedup_over_micrograd']:5.1f}x faster than micrograd "
        f"{runs('lecture_over_micrograd')}",
        f"    in a loop inside autograd.gc_paused() {s['lecture_gc_paused'] * 1e3:8.1f} ms   "
        f"{m['lecture_gc_paused_speedup_over_micrograd']:5.1f}x faster than micrograd "
        f"{runs('lecture_gc_paused_over_micrograd')}",
        f"  floor (by hand, no graph)              {s['floor'] * 1e3:9.1f} ms   nn.MLP takes "
        f"{m['times_the_floor']:.1f}x the floor",
        f"  the first step of each run, from a clean heap: nn.MLP "
        f"{m['first_step_seconds']['chainrule'] * 1e3:.1f} ms, lecture-style "
        f"{m['first_step_seconds']['lecture'] * 1e3:.1f} ms, micrograd "
        f"{m['first_step_seconds']['micrograd'] * 1e3:.1f} ms "
        f"({m['first_step_speedup_over_micrograd']:.1f}x, "
        f"{m['lecture_first_step_speedup_over_micrograd']:.1f}x)",
        "",
        f"node throughput (micrograd-shaped moons graph, {t['chainrule']['nodes']:,} nodes)",
    ]
    for engine in ("chainrule", "micrograd"):
        lines.append(
            f"  {engine:<10}  build {t[engine]['build_nodes_per_second'] / 1e6:5.2f} M nodes/s"
            f"   backward {t[engine]['backward_nodes_per_second'] / 1e6:5.2f} M nodes/s"
        )
    lines += [
        "",
        "memory per node (the same binary-node graph, with gradients, tracemalloc)",
        f"  chainrule   {mem['chainrule']['bytes_per_node']:6.0f} bytes",
        f"  micrograd   {mem['micrograd']['bytes_per_node']:6.0f} bytes   chainrule uses "
        f"{mem['chainrule_share_of_micrograd']:.0%} of it",
        "",
        f"depth and width ({d['length']:,} nodes)",
    ]
    for name, title in (("chain", "chain of relu"), ("sum_values", "sum_values (one node)"),
                        ("python_sum", "Python sum (a chain of +)")):
        row = d[name]
        lines.append(
            f"  {title:<26} build {row['build_seconds']:6.2f} s   backward "
            f"{row['backward_seconds']:6.2f} s   peak {row['peak_megabytes']:7.1f} MB"
        )
    outcome = d["micrograd_chain_of_10000"].split(":")[0]
    lines.append(f"  micrograd, chain of 10,000: {outcome} (its topological sort recurses)")
    lines += ["", *format_compiled(r)]
    return "\n".join(lines)


def format_compiled(r: dict[str, Any]) -> list[str]:
    m, c = r["moons_step"], r["compiled"]
    s = m["seconds"]
    lines = ["compiled replay: the moons step (same weights and losses as above)"]
    for name, title in (("lecture_compiled", "lecture-style graph, tape.run()"),
                        ("compiled", "nn graph (fused), tape.run()"),
                        ("compiled_batch", "nn, one sample's graph, batch of 100")):
        lines.append(
            f"  {title:<34} {s[name] * 1e3:7.2f} ms   {s['floor'] / s[name]:5.1f}x faster than "
            f"the floor, {s['chainrule'] / s[name]:5.1f}x eager, "
            f"{s['micrograd'] / s[name]:6.0f}x micrograd"
        )
        if name == "lecture_compiled":
            low, high = m["ratio_spread"]["lecture_compiled_over_floor"]
            lines.append(f"    (its ratio to the floor in each run: {low:.1f}x to {high:.1f}x)")
    lines.append(
        f"  compiling the lecture-style graph: {m['lecture_compile_seconds'] * 1e3:.0f} ms = "
        f"{m['lecture_compile_in_floor_steps']:.1f} floor steps"
    )
    lines += ["", *mnist.format_rows(r["mnist_step"])]
    e = c["digits_epoch"]
    sizes = "-".join(map(str, e["sizes"]))
    lines += ["", f"compiled replay: a digits-shaped epoch ({e['samples']:,} samples, MLP {sizes}, "
              "forward + backward, cross-entropy)"]
    for name, seconds in e["seconds_per_epoch"].items():
        lines.append(f"  {name.replace('_', ' '):<34} {seconds:7.3f} s per epoch")
    lines += ["", "compiled replay: the cost of compile (tracemalloc: tape kept, peak while "
              "compiling)"]
    for row in c["compile_cost"]:
        lines.append(
            f"  {row['graph']:<34} {row['nodes']:>8,} nodes, depth {row['depth']:>3}, "
            f"{row['kernels']:>3} kernels: compile {row['compile_seconds']:6.3f} s, "
            f"tape {row['tape_megabytes']:5.1f} MB (peak {row['compile_peak_megabytes']:5.1f}), "
            f"replay {row['replay_seconds'] * 1e3:6.1f} ms vs eager backward "
            f"{row['eager_backward_seconds'] * 1e3:6.1f} ms"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
