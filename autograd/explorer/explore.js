// The explore page's walk: a forward pass that fills in the values, then the backward pass one
// chain-rule step at a time. Every text comes precomputed from Python (in #walk-data) and is
// shown with textContent only, so a label can never become markup.
"use strict";

(function () {
  const walk = JSON.parse(document.getElementById("walk-data").textContent);
  const svg = document.querySelector("#graph svg");
  const $ = (id) => document.getElementById(id);

  const nodeById = new Map(walk.nodes.map((node) => [node.id, node]));
  const values = new Map();
  for (const group of svg.querySelectorAll("g[data-node]")) {
    values.set(group.dataset.node, {
      group,
      data: group.querySelector("text.data"),
      grad: group.querySelector("text.grad"),
    });
  }
  const ops = new Map();
  for (const group of svg.querySelectorAll("g[data-op]")) ops.set(group.dataset.op, group);
  const edges = [...svg.querySelectorAll("g[data-owner]")];

  // How many distinct values use each value: a leaf's gradient is complete once all of them
  // have been processed.
  const consumers = new Map(walk.nodes.map((node) => [node.id, 0]));
  for (const step of walk.forward) {
    for (const input of new Set(step.inputs)) consumers.set(input, consumers.get(input) + 1);
  }

  const LEGEND = {
    forward: ["being computed", "its inputs", "known", "not computed yet"],
    backward: ["chain rule applied here", "its inputs, receiving", "done", "no gradient yet"],
  };

  let forwardFirst = Boolean(walk.forwardFirst);
  let position = 0;

  function forwardCount() {
    return forwardFirst ? walk.forward.length : 0;
  }

  function lastPosition() {
    return forwardCount() + walk.backward.length;
  }

  // Everything shown at a position: the phase, the step (null at the start), and each value's
  // state, data text and grad text.
  function viewAt(pos) {
    const view = { states: new Map(), data: new Map(), grads: new Map(), step: null };
    for (const node of walk.nodes) {
      view.data.set(node.id, node.data);
      view.grads.set(node.id, node.grad);
    }
    if (forwardFirst && pos <= forwardCount()) {
      forwardView(view, pos);
    } else {
      backwardView(view, pos - forwardCount());
    }
    return view;
  }

  function forwardView(view, number) {
    Object.assign(view, { phase: "forward", number, total: walk.forward.length });
    for (const node of walk.nodes) {
      view.states.set(node.id, node.leaf ? "done" : "unreached");
      if (!node.leaf) view.data.set(node.id, "data ?");
    }
    for (const step of walk.forward.slice(0, number)) {
      view.states.set(step.node, "done");
      view.data.set(step.node, nodeById.get(step.node).data);
    }
    if (number > 0) markCurrent(view, walk.forward[number - 1]);
  }

  function backwardView(view, number) {
    Object.assign(view, { phase: "backward", number, total: walk.backward.length });
    for (const node of walk.nodes) view.states.set(node.id, "unreached");
    if (number === 0) return;
    view.states.set(walk.root, "reached");
    const waiting = new Map(consumers);
    for (const step of walk.backward.slice(0, number)) {
      view.states.set(step.node, "done");
      for (const [id, text] of Object.entries(step.grads)) view.grads.set(id, text);
      for (const input of new Set(step.inputs)) {
        waiting.set(input, waiting.get(input) - 1);
        if (view.states.get(input) === "unreached") view.states.set(input, "reached");
      }
    }
    for (const node of walk.nodes) {
      if (node.leaf && waiting.get(node.id) === 0) view.states.set(node.id, "done");
    }
    markCurrent(view, walk.backward[number - 1]);
  }

  function markCurrent(view, step) {
    view.step = step;
    for (const input of step.inputs) view.states.set(input, "receiving");
    view.states.set(step.node, "current");
  }

  // An op node (and its edges) follows the value it computes; in the forward pass an input's
  // op has already run, so it is shown as done.
  function opState(view, id) {
    const state = view.states.get(id);
    return view.phase === "forward" && state === "receiving" ? "done" : state;
  }

  function describe(view) {
    if (view.step) return view.step.text;
    if (walk.backward.length === 0) {
      return "L is a single value with no inputs: there is nothing to backpropagate.";
    }
    if (view.phase === "forward") {
      return "The leaves hold the inputs. Next computes each value from its inputs, " +
        "inputs before the values that use them.";
    }
    return "Every gradient starts at 0. Next starts at the output, where dL/dL = 1, and " +
      "applies the chain rule at one node per step, back to the inputs.";
  }

  function phaseLabel(view) {
    const name = view.phase === "forward" ? "Forward pass" : "Backward pass";
    if (view.number === 0) return name + " · start";
    const done = view.phase === "backward" && view.number === view.total ? " · complete" : "";
    return name + " · step " + view.number + " of " + view.total + done;
  }

  function showUpdates(view) {
    const table = $("updates");
    const body = table.tBodies[0];
    body.replaceChildren();
    table.hidden = !(view.phase === "backward" && view.step);
    if (table.hidden) return;
    for (const row of view.step.rows) {
      const tr = document.createElement("tr");
      row.forEach((text, column) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (column >= 2) td.className = "number";
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
  }

  function render() {
    const view = viewAt(position);
    for (const [id, value] of values) {
      const state = view.states.get(id);
      if (!state) continue;
      value.group.setAttribute("class", "node s-" + state);
      if (value.data) value.data.textContent = view.data.get(id);
      if (value.grad) value.grad.textContent = view.grads.get(id);
    }
    for (const [id, group] of ops) group.setAttribute("class", "node o-" + opState(view, id));
    for (const group of edges) {
      group.setAttribute("class", "edge o-" + opState(view, group.dataset.owner));
    }
    $("phase").textContent = phaseLabel(view);
    $("phase").className = "phase " + view.phase;
    $("step-text").textContent = describe(view);
    showUpdates(view);
    const last = lastPosition();
    $("position").textContent = last === 0 ? "" : position + " / " + last;
    $("progress-bar").parentElement.className = "progress " + view.phase;
    $("progress-bar").style.width = (last === 0 ? 100 : (100 * position) / last) + "%";
    $("prev").disabled = position === 0;
    $("reset").disabled = position === 0;
    $("next").disabled = position === last;
    LEGEND[view.phase].forEach((text, i) => {
      $(["legend-current", "legend-receiving", "legend-done", "legend-unreached"][i])
        .textContent = text;
    });
  }

  function go(to) {
    position = Math.max(0, Math.min(lastPosition(), to));
    render();
  }

  $("next").addEventListener("click", () => go(position + 1));
  $("prev").addEventListener("click", () => go(position - 1));
  $("reset").addEventListener("click", () => go(0));
  $("forward-first").checked = forwardFirst;
  $("forward-first").addEventListener("change", (event) => {
    forwardFirst = event.target.checked;
    go(0);
  });
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const moves = { ArrowRight: position + 1, ArrowLeft: position - 1, Home: 0 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    go(moves[event.key]);
  });

  render();
})();
