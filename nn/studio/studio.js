"use strict";
// The studio page: receives the training state by Server-Sent Events and draws it; sends
// settings, points and play/pause/step/reset to the JSON API. Everything comes from the one
// local server that served this page; the token in this page's URL authorises each request.

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const CLASS_COLORS = [[224, 129, 47], [47, 116, 201], [58, 154, 91]];
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

let state = null;           // the latest state from the server
let clickMode = "0";        // "0", "1", ... adds a point of that class; "select" picks a sample
let chosenNeuron = null;    // {layer, index} whose graph the panel shows
let neuronDrawnAt = -1;     // the step that drawing is from
let neuronLoading = false;
let lastNeuronFetch = 0;

function api(path, extra) {
  return `${path}?token=${encodeURIComponent(TOKEN)}${extra || ""}`;
}

async function post(path, body) {
  let reply;
  try {
    reply = await fetch(api(path), {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
  } catch (error) {
    showMessage("the studio does not answer: is it still running?");
    return;
  }
  const data = await reply.json();
  if (!reply.ok) {
    showMessage(data.error || `error ${reply.status}`);
    if (state) showSettings(state, true);  // put the controls back as they are
    return;
  }
  showState(data);
}

function showMessage(text) {
  $("message").textContent = text;
}

// ----- numbers --------------------------------------------------------------------------

function fmt(x, digits = 4) {
  if (x === null || x === undefined) return "–";
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4)) return x.toExponential(2);
  return x.toFixed(digits);
}

function mix(rgb, strength) {
  const s = Math.max(0, Math.min(1, strength));
  return rgb.map((c) => Math.round(255 + (c - 255) * s));
}

function css(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

// Positive numbers blue (class 1's side of the boundary), negative ones orange.
function signedColor(value, scale) {
  if (value === null || value === undefined) return "#ddd";
  const strength = Math.min(1, Math.abs(value) / scale);
  return css(mix(value >= 0 ? CLASS_COLORS[1] : CLASS_COLORS[0], 0.15 + 0.85 * strength));
}

// ----- the whole state --------------------------------------------------------------------

function showState(s) {
  state = s;
  $("step-count").textContent = String(s.step);
  $("loss").textContent = fmt(s.loss);
  $("accuracy").textContent = s.accuracy === null ? "–" : `${(100 * s.accuracy).toFixed(1)}%`;
  $("rate").textContent = String(Math.round(s.steps_per_second));
  showMessage(s.message);
  $("play").disabled = s.running;
  $("pause").disabled = !s.running;
  showSettings(s, false);
  drawBoundary(s);
  drawCurves(s.history);
  drawNetwork(s.network);
  drawGradNorms(s.network);
  refreshNeuron(s);
}

function showSettings(s, all) {
  const lossSelect = $("loss-fn");
  if (lossSelect.dataset.choices !== s.losses.join()) {
    lossSelect.replaceChildren(...s.losses.map((name) => new Option(name, name)));
    lossSelect.dataset.choices = s.losses.join();
  }
  for (const element of document.querySelectorAll("[data-setting]")) {
    const name = element.dataset.setting;
    if (!all && document.activeElement === element) continue;  // the learner is typing
    element.value = String(s.config[name]);
    element.disabled = s.fixed.includes(name);
  }
  $("model-note").textContent = `${s.parameters} parameters` +
    (s.fixed.length ? ` · fixed by serve(): ${s.fixed.join(", ")}` : "");
  showClassChoices(s.n_classes);
  $("sample-id").textContent = s.network.sample === null ? "–" : String(s.network.sample);
}

function showClassChoices(n) {
  const box = $("class-choices");
  if (box.childElementCount === n) return;
  box.replaceChildren();
  for (let c = 0; c < n; c++) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="radio" name="click" value="${c}"> adds class ${c} ` +
      `<span class="swatch" style="background:${css(CLASS_COLORS[c])}"></span>`;
    box.append(label);
  }
  if (clickMode !== "select" && Number(clickMode) >= n) clickMode = "0";
  for (const radio of document.querySelectorAll("input[name=click]")) {
    radio.checked = radio.value === clickMode;
  }
}

// ----- the decision boundary ------------------------------------------------------------

function toCanvas(x, y, bounds, canvas) {
  const [xmin, xmax, ymin, ymax] = bounds;
  return [(x - xmin) / (xmax - xmin) * canvas.width, (ymax - y) / (ymax - ymin) * canvas.height];
}

function fromCanvas(px, py, bounds, canvas) {
  const [xmin, xmax, ymin, ymax] = bounds;
  return [xmin + px / canvas.width * (xmax - xmin), ymax - py / canvas.height * (ymax - ymin)];
}

const raster = document.createElement("canvas");
const RASTER = 220;  // pixels a side of the painted heat map, stretched to the canvas

// The class and its strength (0 undecided .. 1 certain) at a point between the cells' centres,
// interpolated bilinearly from the model's outputs there.
function decide(grid, gx, gy, out) {
  const n = grid.size;
  const x = Math.max(0, Math.min(n - 1, gx)), y = Math.max(0, Math.min(n - 1, gy));
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, n - 1), y1 = Math.min(y0 + 1, n - 1);
  const fx = x - x0, fy = y - y0;
  const k = grid.outputs;
  for (let c = 0; c < k; c++) {
    const at = (cx, cy) => grid.values[(cy * n + cx) * k + c];
    out[c] = (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) +
             (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
  }
  if (k === 1) return [out[0] > 0 ? 1 : 0, Math.abs(out[0])];
  let best = 0;
  for (let c = 1; c < k; c++) if (out[c] > out[best]) best = c;
  return [best, (out[best] - 1 / k) / (1 - 1 / k)];
}

function drawBoundary(s) {
  const canvas = $("boundary");
  const ctx = canvas.getContext("2d");
  const grid = s.boundary;
  raster.width = raster.height = RASTER;
  const rctx = raster.getContext("2d");
  const image = rctx.createImageData(RASTER, RASTER);
  const out = new Array(grid.outputs);
  const scale = grid.size / RASTER;
  for (let py = 0; py < RASTER; py++) {
    for (let px = 0; px < RASTER; px++) {
      const [c, strength] = decide(grid, (px + 0.5) * scale - 0.5, (py + 0.5) * scale - 0.5, out);
      const rgb = mix(CLASS_COLORS[c], 0.2 + 0.5 * Math.sqrt(Math.max(0, strength)));
      image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * (py * RASTER + px));
    }
  }
  rctx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(raster, 0, 0, canvas.width, canvas.height);
  s.points.forEach(([x, y, c], i) => {
    const [px, py] = toCanvas(x, y, s.bounds, canvas);
    ctx.beginPath();
    ctx.arc(px, py, 4.2, 0, 2 * Math.PI);
    ctx.fillStyle = css(CLASS_COLORS[c]);
    ctx.fill();
    const wrong = s.predicted.length && s.predicted[i] !== c;
    ctx.lineWidth = wrong ? 2 : 1;
    ctx.strokeStyle = wrong ? "#111" : "#fff";
    ctx.stroke();
  });
  const chosen = s.network.sample;
  if (chosen !== null && s.points[chosen]) {
    const [px, py] = toCanvas(s.points[chosen][0], s.points[chosen][1], s.bounds, canvas);
    ctx.beginPath();
    ctx.arc(px, py, 9, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#111";
    ctx.stroke();
  }
  $("plot-hint").textContent = s.points.length ?
    `· ${s.points.length} points, black rings: misclassified` : "· no points: click to add";
}

function clickPlot(event) {
  if (!state) return;
  const canvas = $("boundary");
  const box = canvas.getBoundingClientRect();
  const px = (event.clientX - box.left) * canvas.width / box.width;
  const py = (event.clientY - box.top) * canvas.height / box.height;
  if (clickMode === "select") {
    let best = -1, bestDistance = 12;
    state.points.forEach(([x, y], i) => {
      const [qx, qy] = toCanvas(x, y, state.bounds, canvas);
      const d = Math.hypot(qx - px, qy - py);
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    if (best >= 0) post("/api/config", {sample: best});
    return;
  }
  const [x, y] = fromCanvas(px, py, state.bounds, canvas);
  post("/api/points", {add: [[x, y, Number(clickMode)]]});
}

// ----- curves -------------------------------------------------------------------------

function svgElement(tag, attributes, parent) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.append(element);
  return element;
}

function svgText(parent, x, y, text, anchor = "start") {
  const element = svgElement("text", {x, y, "text-anchor": anchor}, parent);
  element.textContent = text;
  return element;
}

function drawCurves(history) {
  const svg = $("curves");
  svg.replaceChildren();
  const [left, right, top, bottom] = [40, 400, 12, 138];
  svgElement("line", {x1: left, y1: bottom, x2: right, y2: bottom, stroke: "#ccc"}, svg);
  const steps = history.step;
  if (!steps.length) {
    svgText(svg, 220, 80, "the curves start with the first step", "middle");
    return;
  }
  const first = steps[0], last = Math.max(steps[steps.length - 1], first + 1);
  const losses = history.loss.filter((v) => v !== null);
  const top_loss = Math.max(1e-9, ...losses);
  const x = (step) => left + (step - first) / (last - first) * (right - left);
  const line = (values, scale, color, id) => {
    const points = [];
    values.forEach((v, i) => {
      if (v !== null) points.push(`${x(steps[i]).toFixed(1)},${(bottom - v / scale *
        (bottom - top)).toFixed(1)}`);
    });
    svgElement("polyline", {id, points: points.join(" "), fill: "none", stroke: color,
                            "stroke-width": 1.8}, svg);
  };
  line(history.loss, top_loss, "#c0392b", "loss-curve");
  line(history.accuracy, 1, "#2f74c9", "accuracy-curve");
  svgText(svg, left - 4, top + 4, fmt(top_loss, 2), "end");
  svgText(svg, left - 4, bottom + 4, "0", "end");
  svgText(svg, right + 4, top + 4, "100%");
  svgText(svg, left, bottom + 16, `step ${first}`);
  svgText(svg, right, bottom + 16, `step ${steps[steps.length - 1]}`, "end");
  svgElement("rect", {x: 300, y: 24, width: 10, height: 3, fill: "#c0392b"}, svg);
  svgText(svg, 314, 30, "loss");
  svgElement("rect", {x: 300, y: 38, width: 10, height: 3, fill: "#2f74c9"}, svg);
  svgText(svg, 314, 44, "accuracy");
}

// ----- the network --------------------------------------------------------------------

function neuronPositions(sizes) {
  const [width, height, top] = [560, 300, 14];
  const columns = sizes.length;
  const biggest = Math.max(...sizes);
  const gap = Math.min(34, (height - 20) / Math.max(biggest - 1, 1));
  return sizes.map((size, layer) => {
    const x = 40 + layer * (width - 80) / Math.max(columns - 1, 1);
    const first = top + height / 2 - gap * (size - 1) / 2;
    return Array.from({length: size}, (_, j) => [x, first + j * gap]);
  });
}

// The drawing is built once per shape of network and then only recoloured, so that a neuron
// under the mouse stays the same element between a press and its release.
let networkShape = "";

function buildNetwork(net) {
  const svg = $("network");
  svg.replaceChildren();
  const positions = neuronPositions(net.sizes);
  const radius = Math.max(3.5, Math.min(11, 150 / Math.max(...net.sizes)));
  const edges = svgElement("g", {id: "edges"}, svg);
  net.weights.forEach((layer, l) => layer.forEach((row, j) => row.forEach((_, k) => {
    const [x1, y1] = positions[l][k];
    const [x2, y2] = positions[l + 1][j];
    const edge = svgElement("line", {x1, y1, x2, y2, class: "edge"}, edges);
    svgElement("title", {}, edge);
  })));
  positions.forEach((column, l) => {
    column.forEach(([x, y], j) => {
      const group = svgElement("g", {class: "neuron", "data-layer": l, "data-index": j}, svg);
      svgElement("circle", {cx: x, cy: y, r: radius, stroke: "#555", "stroke-width": 1}, group);
      svgElement("title", {}, group);
    });
    svgText(svg, column[0][0], 326, net.names[l], "middle");
  });
  networkShape = net.sizes.join();
}

function drawNetwork(net) {
  if (net.sizes.join() !== networkShape) buildNetwork(net);
  const svg = $("network");
  let maxWeight = 1e-9;
  for (const layer of net.weights) for (const row of layer) for (const w of row) {
    if (w !== null) maxWeight = Math.max(maxWeight, Math.abs(w));
  }
  const lines = svg.querySelectorAll("line.edge");
  let e = 0;
  for (const layer of net.weights) for (const row of layer) for (const w of row) {
    const strength = w === null ? 0 : Math.abs(w) / maxWeight;
    const line = lines[e++];
    line.setAttribute("stroke", signedColor(w, maxWeight));
    line.setAttribute("stroke-width", (0.4 + 3.2 * strength).toFixed(2));
    line.setAttribute("stroke-opacity", (0.35 + 0.5 * strength).toFixed(2));
    line.firstChild.textContent = `weight ${fmt(w)}`;
  }
  const byGrad = $("color-gradient").checked;
  const values = byGrad ? net.grad : net.activation;
  let scale = 1;
  if (byGrad && values) {
    scale = 1e-12;
    for (const row of values) for (const g of row) if (g !== null) scale = Math.max(scale, Math.abs(g));
  }
  for (const group of svg.querySelectorAll(".neuron")) {
    const l = Number(group.dataset.layer), j = Number(group.dataset.index);
    const value = values ? values[l][j] : null;
    group.firstChild.setAttribute("fill", signedColor(value, scale));
    group.classList.toggle("chosen",
      Boolean(chosenNeuron && chosenNeuron.layer === l && chosenNeuron.index === j));
    const act = net.activation ? fmt(net.activation[l][j]) : "–";
    const grad = net.grad ? fmt(net.grad[l][j]) : "–";
    group.lastChild.textContent =
      `${net.names[l]}.${j}: data ${act}, grad ${grad} (click for its Value graph)`;
  }
}

function clickNetwork(event) {
  const group = event.target.closest(".neuron");
  if (group) openNeuron(Number(group.dataset.layer), Number(group.dataset.index));
}

function drawGradNorms(net) {
  const svg = $("grad-norms");
  svg.replaceChildren();
  const norms = net.grad_norms;
  const lowest = -8, highest = 2;  // log10 of the norms drawn
  const positions = neuronPositions(net.sizes).slice(1);
  norms.forEach((norm, l) => {
    const x = positions[l][0][0];
    svgElement("rect", {x: x - 16, y: 8, width: 32, height: 60, fill: "#f0f2f5"}, svg);
    if (norm !== null && norm > 0) {
      const level = (Math.log10(norm) - lowest) / (highest - lowest);
      const h = 60 * Math.max(0.02, Math.min(1, level));
      svgElement("rect", {class: "norm-bar", x: x - 16, y: 68 - h, width: 32, height: h,
                          fill: "#7a58b8"}, svg);
    }
    svgText(svg, x, 82, `${net.names[l + 1]}: ${norm === null ? "–" : fmt(norm, 3)}`, "middle");
  });
}

// ----- one neuron's Value graph -------------------------------------------------------------

function openNeuron(layer, index) {
  chosenNeuron = {layer, index};
  neuronDrawnAt = -1;
  $("neuron-panel").hidden = false;
  $("neuron-hint").hidden = true;
  fetchNeuron();
  if (state) drawNetwork(state.network);
}

async function fetchNeuron() {
  if (!chosenNeuron || neuronLoading) return;
  neuronLoading = true;
  lastNeuronFetch = Date.now();
  try {
    const {layer, index} = chosenNeuron;
    const reply = await fetch(api("/api/neuron", `&layer=${layer}&index=${index}`));
    const data = await reply.json();
    if (!reply.ok) {
      $("neuron-facts").textContent = data.error;
      $("neuron-explain").textContent = "";
      $("neuron-graph").replaceChildren();
      return;
    }
    neuronDrawnAt = data.step;
    $("neuron-title").textContent = `${data.label} for sample ${data.sample}, at step ${data.step}`;
    const pre = data.weighted_sum === null ? "" :
      ` · weighted sum ${fmt(data.weighted_sum)} (grad ${fmt(data.weighted_sum_grad)})` +
      ` then ${data.activation}`;
    const collapsed = data.collapsed === "no" ? "" : ` · drawn collapsed: ${data.collapsed}`;
    $("neuron-facts").textContent = `data ${fmt(data.data)} · grad ${fmt(data.grad)} ` +
      `(of this sample's loss)${pre} · ${data.values} values${collapsed}`;
    $("neuron-explain").textContent = data.explain.text;
    const drawing = new DOMParser().parseFromString(data.svg, "image/svg+xml").documentElement;
    // Graphviz gives the size in points; shown at 60% of it, scrolled when larger than the box.
    for (const side of ["width", "height"]) {
      const points = parseFloat(drawing.getAttribute(side));
      drawing.setAttribute(side, `${(points * 0.8).toFixed(0)}px`);
    }
    $("neuron-graph").replaceChildren(document.importNode(drawing, true));
  } catch (error) {
    $("neuron-facts").textContent = "the studio does not answer: is it still running?";
  } finally {
    neuronLoading = false;
  }
}

function refreshNeuron(s) {
  // Redrawn when the weights changed: at once when paused, at most every 1.5 s while training.
  if (!chosenNeuron || s.step === neuronDrawnAt) return;
  if (chosenNeuron.layer >= s.network.sizes.length ||
      chosenNeuron.index >= s.network.sizes[chosenNeuron.layer]) {
    closeNeuron();
    return;
  }
  if (!s.running || Date.now() - lastNeuronFetch > 1500) fetchNeuron();
}

function closeNeuron() {
  chosenNeuron = null;
  $("neuron-panel").hidden = true;
  $("neuron-hint").hidden = false;
  if (state) drawNetwork(state.network);
}

// ----- wiring -------------------------------------------------------------------------

function settingValue(element) {
  return element.type === "number" ? Number(element.value) : element.value;
}

function wire() {
  for (const action of ["play", "pause", "step", "reset"]) {
    $(action).addEventListener("click", () => post("/api/control", {action}));
  }
  $("clear").addEventListener("click", () => post("/api/points", {clear: true}));
  for (const element of document.querySelectorAll("[data-setting]")) {
    element.addEventListener("change", () => {
      if (element.value === "") return;  // a field being retyped: nothing to send yet
      post("/api/config", {[element.dataset.setting]: settingValue(element)});
    });
  }
  $("click-mode").addEventListener("change", (event) => {
    if (event.target.name === "click") clickMode = event.target.value;
  });
  $("boundary").addEventListener("click", clickPlot);
  $("network").addEventListener("click", clickNetwork);
  for (const radio of document.querySelectorAll("input[name=color-by]")) {
    radio.addEventListener("change", () => state && drawNetwork(state.network));
  }
  $("neuron-close").addEventListener("click", closeNeuron);
  const events = new EventSource(api("/api/events"));
  events.addEventListener("state", (event) => showState(JSON.parse(event.data)));
  events.addEventListener("error", () => {
    showMessage("lost the connection to the studio; it reconnects by itself if it comes back");
  });
}

wire();
