// invariant explore: the page. Vanilla JS, no build step; it talks only to the server that served it.
"use strict";

const $ = (sel, el = document) => el.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
};

const S = { schemas: {}, steps: [], task: null, presets: {}, props: [], images: [], selected: new Set(), seq: 0, timer: null, exportKind: "yaml" };

async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

const clone = (v) => JSON.parse(JSON.stringify(v));

// ---- images ------------------------------------------------------------------------------------------
function drawImages() {
  const list = $("#images");
  list.replaceChildren();
  for (const img of S.images) {
    const box = el("input", { type: "checkbox", "data-id": img.id, onchange: (e) => {
      if (e.target.checked) S.selected.add(img.id); else S.selected.delete(img.id);
      schedule();
    } });
    box.checked = S.selected.has(img.id);
    list.append(el("li", {}, el("label", {}, box, " " + img.name + " ", el("span", { class: "ann", text: img.annotations ? `(${img.annotations})` : "" }))));
  }
}

async function upload(file) {
  $("#upload-error").textContent = "";
  try {
    const response = await fetch("/api/upload?name=" + encodeURIComponent(file.name), { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error);
    S.images.push(data.image);
    S.selected.add(data.image.id);
    drawImages();
    schedule();
  } catch (err) {
    $("#upload-error").textContent = err.message;
  }
}

// ---- task --------------------------------------------------------------------------------------------
function drawTask() {
  const select = $("#task");
  for (const name of Object.keys(S.presets)) select.append(el("option", { value: name, text: `${name}: ${S.presets[name].name}` }));
  select.append(el("option", { value: "custom", text: "custom (edit task)" }));
  select.addEventListener("change", () => {
    const v = select.value;
    S.task = v === "" ? null : v === "custom" ? (S.task || { name: "custom", modality: "rgb" }) : clone(S.presets[v]);
    drawTaskProps();
    schedule();
  });
  drawTaskProps();
}

function drawTaskProps() {
  const box = $("#task-props");
  box.replaceChildren();
  const t = S.task || {};
  const tri = (prop) => {
    const s = el("select", { "data-prop": prop, onchange: (e) => {
      S.task = Object.assign({ name: "custom", modality: "rgb" }, S.task || {});
      S.task[prop] = { "": null, "true": true, "false": false }[e.target.value];
      $("#task").value = "custom";
      schedule();
    } }, el("option", { value: "", text: "not declared" }), el("option", { value: "true", text: "label depends on it" }), el("option", { value: "false", text: "irrelevant" }));
    s.value = t[prop] === true ? "true" : t[prop] === false ? "false" : "";
    return el("div", {}, el("label", {}, prop + " ", s));
  };
  for (const p of S.props) box.append(tri(p));
  const rot = el("input", { type: "number", min: 0, max: 180, step: "any", value: t.max_rotation ?? "", onchange: (e) => {
    S.task = Object.assign({ name: "custom", modality: "rgb" }, S.task || {});
    S.task.max_rotation = e.target.value === "" ? null : Number(e.target.value);
    $("#task").value = "custom";
    schedule();
  } });
  box.append(el("div", {}, el("label", {}, "max_rotation ", rot)));
}

// ---- pipeline editor ------------------------------------------------------------------------------------
function search() {
  const q = $("#search").value.trim().toLowerCase();
  const list = $("#results");
  list.replaceChildren();
  if (!q) return;
  const names = Object.keys(S.schemas).filter((n) => n.toLowerCase().includes(q) || S.schemas[n].family.includes(q) || S.schemas[n].doc.toLowerCase().includes(q));
  names.sort((a, b) => (b.toLowerCase().startsWith(q) - a.toLowerCase().startsWith(q)) || a.localeCompare(b));
  names.forEach((name, i) => {
    list.append(el("li", { "data-name": name, class: i === 0 ? "first" : "", onclick: () => addStep(name) },
      el("b", { text: name }), " ", el("span", { class: "doc", text: `${S.schemas[name].family}: ${S.schemas[name].doc}` })));
  });
}

function addStep(name) {
  const schema = S.schemas[name];
  const args = {};
  for (const a of schema.args) args[a.name] = clone(a.default);
  S.steps.push({ name, args, enabled: true });
  $("#search").value = "";
  search();
  drawSteps();
  schedule();
}

function numberOrText(v) {
  const n = Number(v);
  return v.trim() !== "" && Number.isFinite(n) ? n : v;
}

function slider(spec, value, onValue) {
  const step = spec.integer ? 1 : (spec.high - spec.low) / 200 || 0.01;
  const range = el("input", { type: "range", min: Math.min(spec.low, value), max: Math.max(spec.high, value), step, value });
  const num = el("input", { type: "number", class: "num", step: "any", value });
  range.addEventListener("input", () => { num.value = range.value; onValue(Number(range.value)); });
  num.addEventListener("change", () => { range.value = num.value; onValue(numberOrText(num.value)); });
  return [range, num];
}

function control(stepIndex, spec, value) {
  const step = S.steps[stepIndex];
  const set = (v) => { step.args[spec.name] = v; schedule(); };
  const ctl = el("div", { class: "ctl" });
  const isNum = (v) => typeof v === "number";
  let kind = spec.control;
  if (kind === "slider" && !isNum(value)) kind = "json";
  if (kind === "range" && !(Array.isArray(value) && value.length === 2 && value.every(isNum))) kind = "json";
  if (kind === "slider") {
    ctl.append(...slider(spec, value, set));
  } else if (kind === "range") {
    const pair = value.slice();
    ctl.append("min", ...slider(spec, pair[0], (v) => { pair[0] = v; set(pair.slice()); }));
    ctl.append("max", ...slider(spec, pair[1], (v) => { pair[1] = v; set(pair.slice()); }));
  } else if (kind === "bool") {
    const box = el("input", { type: "checkbox", onchange: (e) => set(e.target.checked) });
    box.checked = !!value;
    ctl.append(box);
  } else if (kind === "choice") {
    const s = el("select", { onchange: (e) => set(e.target.value) }, ...spec.choices.map((c) => el("option", { value: c, text: c })));
    s.value = value;
    ctl.append(s);
  } else if (kind === "number") {
    ctl.append(el("input", { type: "number", class: "num", step: "any", value, onchange: (e) => set(numberOrText(e.target.value)) }));
  } else if (kind === "text") {
    ctl.append(el("input", { type: "text", class: "text", value, onchange: (e) => set(e.target.value) }));
  } else {
    const input = el("input", { type: "text", class: "text", value: JSON.stringify(value), title: "JSON", onchange: (e) => {
      try { set(JSON.parse(e.target.value)); input.setCustomValidity(""); }
      catch (err) { showArgError(stepIndex, spec.name, `${spec.name}: expected JSON (a number, [min, max], "text", null, {...}), got ${e.target.value}. Fix: correct the syntax.`); }
    } });
    ctl.append(input);
  }
  for (const input of ctl.querySelectorAll("input, select")) input.setAttribute("data-arg", spec.name);
  return ctl;
}

function showArgError(stepIndex, arg, text) {
  const node = document.querySelector(`.step[data-index="${stepIndex}"] .arg[data-arg="${arg}"] .err`);
  if (node) node.textContent = text;
}

function move(i, delta) {
  const j = i + delta;
  if (j < 0 || j >= S.steps.length) return;
  [S.steps[i], S.steps[j]] = [S.steps[j], S.steps[i]];
  drawSteps();
  schedule();
}

function drawSteps() {
  const box = $("#steps");
  box.replaceChildren();
  S.steps.forEach((step, i) => {
    const schema = S.schemas[step.name] || { args: [], family: "?" };
    const enabled = el("input", { type: "checkbox", title: "on/off", class: "enabled", onchange: (e) => { step.enabled = e.target.checked; drawSteps(); schedule(); } });
    enabled.checked = step.enabled !== false;
    const card = el("div", { class: "step" + (step.enabled === false ? " off" : ""), "data-index": i, "data-name": step.name },
      el("div", { class: "head" }, enabled, el("span", { text: `${i + 1}.` }), el("b", { text: step.name }), el("span", { class: "family", text: schema.family }),
        el("button", { type: "button", title: "move up", class: "up", onclick: () => move(i, -1), text: "↑" }),
        el("button", { type: "button", title: "move down", class: "down", onclick: () => move(i, 1), text: "↓" }),
        el("button", { type: "button", title: "remove", class: "remove", onclick: () => { S.steps.splice(i, 1); drawSteps(); schedule(); }, text: "×" })));
    const known = new Set(schema.args.map((a) => a.name));
    const specs = schema.args.concat(Object.keys(step.args).filter((k) => !known.has(k)).map((k) => ({ name: k, control: "json" })));
    for (const spec of specs) {
      if (!(spec.name in step.args)) continue;
      card.append(el("div", { class: "arg", "data-arg": spec.name }, el("label", { text: spec.name, title: spec.annotation || "" }), control(i, spec, step.args[spec.name]), el("div", { class: "err" })));
    }
    card.append(el("div", { class: "err step-error" }), el("div", { class: "violation", hidden: true }));
    box.append(card);
  });
}

// ---- rendering ---------------------------------------------------------------------------------------
function schedule() {
  clearTimeout(S.timer);
  S.timer = setTimeout(refresh, 180);
}

function request() {
  return {
    pipeline: S.steps.map((s) => ({ name: s.name, args: s.args, enabled: s.enabled !== false })),
    task: S.task,
    images: [...S.selected],
    n: Number($("#n").value) || 0,
    seed: Number($("#seed").value) || 0,
    max_side: Number($("#max-side").value) || 0,
  };
}

async function refresh() {
  const seq = ++S.seq;
  $("#status").textContent = "rendering…";
  let data;
  try {
    data = await api("/api/render", request());
  } catch (err) {
    if (seq !== S.seq) return;
    $("#status").textContent = "";
    $("#errors").textContent = err.message;
    return;
  }
  if (seq !== S.seq) return; // a newer edit is on its way
  $("#status").textContent = "";
  for (const node of document.querySelectorAll(".step .err")) node.textContent = "";
  for (const node of document.querySelectorAll(".step")) node.classList.remove("bad");
  for (const node of document.querySelectorAll(".step .violation")) { node.hidden = true; node.textContent = ""; }
  for (const [i, e] of Object.entries(data.step_errors)) {
    const card = document.querySelector(`.step[data-index="${i}"]`);
    if (!card) continue;
    card.classList.add("bad");
    const arg = e.argument && card.querySelector(`.arg[data-arg="${e.argument}"] .err`);
    (arg || card.querySelector(".step-error")).textContent = e.message;
  }
  drawCheck(data.check, data.task_error);
  const errors = [];
  if (data.pipeline_error) errors.push(data.pipeline_error);
  for (const e of data.errors || []) {
    errors.push(`${e.image}: ${e.message}`);
    const card = e.step !== null && document.querySelector(`.step[data-index="${e.step}"]`);
    if (card) { card.classList.add("bad"); card.querySelector(".step-error").textContent = e.message; }
  }
  const skipped = Object.keys(data.step_errors).map((i) => Number(i) + 1);
  if (skipped.length) errors.push(`left out of the grid until fixed: step ${skipped.join(", ")}`);
  $("#errors").textContent = errors.join("\n");
  if (!data.pipeline_error) drawGrid(data.rows);
  drawTiming(data.timing);
}

function drawCheck(check, taskError) {
  const box = $("#check");
  box.className = "check " + (check.ok ? "ok" : check.checked ? "bad" : "");
  box.textContent = (taskError ? taskError + "\n" : "") + check.text;
  for (const v of check.violations) {
    const card = v.step !== null && document.querySelector(`.step[data-index="${v.step}"]`);
    if (!card) continue;
    card.classList.add("bad");
    const line = card.querySelector(".violation");
    line.hidden = false;
    line.append(el("div", { text: `${v.property}: ${v.problem}. Fix: ${v.fix}` }));
  }
}

function drawGrid(rows) {
  const grid = $("#grid");
  grid.replaceChildren();
  for (const row of rows) {
    const line = el("div", { class: "gridrow", "data-id": row.id }, el("div", { class: "label", text: `${row.name}: ${row.shape.join("×")} (input, then augmented samples)` }));
    line.append(el("img", { class: "original", src: row.original, alt: "input " + row.name }));
    row.samples.forEach((src, k) => line.append(el("img", { class: "sample", src, alt: `sample ${k + 1}` })));
    if (row.flags.length) line.append(el("div", { class: "err", text: row.flags.join("\n") }));
    grid.append(line);
  }
}

function drawTiming(t) {
  const box = $("#timing");
  box.replaceChildren();
  if (!t || !t.calls) { box.textContent = "no calls yet (pick an image)"; return; }
  const name = (i) => `${i + 1}. ${S.steps[i] ? S.steps[i].name : "?"}`;
  const table = el("table", {}, el("tr", {}, el("th", { text: "step" }), el("th", { text: "applied" }), el("th", { text: "ms per applied call (on its own)" })));
  for (const s of t.steps) table.append(el("tr", {}, el("td", { text: name(s.step) }), el("td", { class: "num", text: `${s.applied} / ${t.calls}` }), el("td", { class: "num", text: s.ms_per_applied_call.toFixed(2) })));
  box.append(el("div", { text: `whole pipeline: ${t.ms_per_call.toFixed(2)} ms per call as executed (planning ${t.planning_ms_per_call.toFixed(2)} ms), ${t.calls} calls on these images` }), table);
  if (t.fused.length) {
    const fused = el("table", {}, el("tr", {}, el("th", { text: "fused steps" }), el("th", { text: "as" }), el("th", { text: "calls" }), el("th", { text: "ms fused" }), el("th", { text: "ms step by step" })));
    for (const f of t.fused) fused.append(el("tr", {}, el("td", { text: f.steps.map(name).join(" + ") }), el("td", { text: f.kind === "resampling" ? "one resampling" : "one lookup table" }), el("td", { class: "num", text: f.count }), el("td", { class: "num", text: f.ms.toFixed(2) }), el("td", { class: "num", text: f.ms_step_by_step.toFixed(2) })));
    box.append(el("h2", { text: "fused" }), fused);
  } else {
    box.append(el("div", { class: "note", text: "no steps fused in these calls" }));
  }
}

// ---- export / import -------------------------------------------------------------------------------------
async function doExport(kind) {
  $("#export-error").textContent = "";
  try {
    const data = await api("/api/export", { pipeline: request().pipeline, task: S.task });
    const text = data[kind];
    $("#export-text").value = text;
    const link = $("#download");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    link.download = kind === "yaml" ? "pipeline.yaml" : "pipeline.py";
    link.hidden = false;
  } catch (err) {
    $("#export-error").textContent = err.message;
  }
}

async function doImport() {
  $("#import-error").textContent = "";
  try {
    const data = await api("/api/import", { yaml: $("#import-text").value });
    S.steps = data.steps;
    if (data.task) { S.task = data.task; $("#task").value = "custom"; drawTaskProps(); }
    drawSteps();
    schedule();
  } catch (err) {
    $("#import-error").textContent = err.message;
  }
}

// ---- start -------------------------------------------------------------------------------------------
async function start() {
  const [schemas, state] = await Promise.all([api("/api/transforms"), api("/api/state")]);
  for (const s of schemas.transforms) S.schemas[s.name] = s;
  S.presets = state.task_presets;
  S.props = state.task_properties;
  S.images = state.images;
  S.steps = state.steps;
  if (state.images.length) S.selected.add(state.images[0].id);
  $("#image-notes").textContent = state.notes.join("\n");
  drawTask();
  if (typeof state.task === "string") { S.task = clone(S.presets[state.task]); $("#task").value = state.task; }
  else if (state.task) { S.task = state.task; $("#task").value = "custom"; }
  drawTaskProps();
  drawImages();
  drawSteps();
  $("#search").addEventListener("input", search);
  $("#search").addEventListener("keydown", (e) => { if (e.key === "Enter") { const first = $("#results li"); if (first) addStep(first.dataset.name); } });
  $("#upload").addEventListener("change", (e) => { if (e.target.files.length) upload(e.target.files[0]); e.target.value = ""; });
  for (const id of ["#n", "#seed", "#max-side"]) $(id).addEventListener("change", schedule);
  $("#reseed").addEventListener("click", () => { $("#seed").value = Math.floor(Math.random() * 1e9); schedule(); });
  $("#export-yaml").addEventListener("click", () => doExport("yaml"));
  $("#export-python").addEventListener("click", () => doExport("python"));
  $("#import").addEventListener("click", doImport);
  refresh();
}

start().catch((err) => { $("#errors").textContent = "could not start: " + err.message; });
