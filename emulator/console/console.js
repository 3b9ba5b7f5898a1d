// The local console: the executions the emulator ran (GET /_local/executions), and the chosen one drawn as the
// Step Functions console's graph view draws an execution: its workflow's states laid out from the ASL, the path
// it took, the states that failed and those whose failure was caught, each state's input and output on click;
// and the template's alarms not OK (GET /_local/alarms).
// No framework, no build step, nothing from the internet.
"use strict";

const list = document.querySelector("#executions tbody");
const filters = document.getElementById("filters");
const autoRefresh = document.getElementById("auto-refresh");
const SVG = "http://www.w3.org/2000/svg";
const BOX = { width: 190, height: 44, gapX: 40, gapY: 36 };
let chosen = decodeURIComponent(location.hash.slice(1)) || null;

function query() {
  const params = new URLSearchParams({ limit: "50" });
  const org = document.getElementById("filter-org").value.trim();
  const status = document.getElementById("filter-status").value;
  if (org) params.set("orgId", org);
  if (status) params.set("status", status);
  return params;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

async function refreshList() {
  const response = await fetch(`/_local/executions?${query()}`);
  const executions = (await response.json()).executions;
  list.replaceChildren(
    ...executions.map((execution) => {
      const row = document.createElement("tr");
      row.dataset.name = execution.name;
      row.classList.toggle("selected", execution.name === chosen);
      row.append(
        cell(execution.startedAt.slice(11, 23)),
        cell(execution.stateMachine.replace(/StateMachine$/, "")),
        cell(execution.status, `status-${execution.status}`),
        cell(execution.httpStatus),
        cell(execution.orgId),
        cell(execution.enquiryId),
      );
      row.addEventListener("click", () => choose(execution.name));
      return row;
    }),
  );
  document.getElementById("list-empty").hidden = executions.length > 0;
}

async function refreshAlarms() {
  const response = await fetch("/_local/alarms");
  const alarms = (await response.json()).alarms;
  const notOk = alarms.filter((alarm) => alarm.state !== "OK");
  const firing = alarms.filter((alarm) => alarm.state === "ALARM").length;
  document.getElementById("alarm-summary").textContent =
    `${firing} in alarm, ${alarms.length - notOk.length} of ${alarms.length} OK`;
  document.querySelector("#alarms tbody").replaceChildren(
    ...notOk.map((alarm) => {
      const row = document.createElement("tr");
      row.dataset.alarm = alarm.name;
      row.append(
        cell(alarm.name),
        cell(alarm.state, `alarm-${alarm.state}`),
        cell(alarm.changedAt.slice(0, 19).replace("T", " ")),
        cell(alarm.reason, "reason"),
      );
      return row;
    }),
  );
}

function choose(name) {
  chosen = name;
  history.replaceState(null, "", `#${encodeURIComponent(name)}`);
  for (const row of list.rows) row.classList.toggle("selected", row.dataset.name === name);
  showExecution(name);
}

function facts(element, entries) {
  element.replaceChildren();
  for (const [term, value] of entries) {
    if (value == null) continue;
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = String(value);
    element.append(dt, dd);
  }
}

function pretty(value) {
  return value == null ? "" : typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

async function showExecution(name) {
  const response = await fetch(`/_local/executions/${encodeURIComponent(name)}`);
  if (!response.ok) return;
  const execution = await response.json();
  document.getElementById("detail-pane").hidden = false;
  document.getElementById("detail-pane").dataset.name = execution.name;
  document.getElementById("detail-title").textContent = `${execution.stateMachine} · ${execution.status}`;
  facts(document.getElementById("detail-facts"), [
    ["Execution", execution.name],
    ["Request id", execution.requestId],
    ["Answered", execution.httpStatus == null ? null : `${execution.httpStatus} ${execution.code || ""}`.trim()],
    ["Org", execution.orgId],
    ["Enquiry", execution.enquiryId],
    ["User", execution.userId],
    ["Started", execution.startedAt],
    ["Duration", execution.durationMs == null ? null : `${execution.durationMs} ms`],
    ["Error", execution.error],
  ]);
  document.getElementById("answer").textContent = pretty(execution.answer);
  document.getElementById("state-pane").hidden = true;
  draw(execution);
}

// -- the graph -----------------------------------------------------------------------------------------------

function transitions(state) {
  const next = [];
  if (state.Next) next.push(state.Next);
  if (state.Default) next.push(state.Default);
  for (const choice of state.Choices || []) if (choice.Next) next.push(choice.Next);
  for (const catcher of state.Catch || []) if (catcher.Next) next.push(catcher.Next);
  return [...new Set(next)];
}

function layout(definition) {
  // Layers by the shortest distance from StartAt; each layer a row, its states side by side
  const depth = new Map([[definition.StartAt, 0]]);
  const queue = [definition.StartAt];
  while (queue.length) {
    const name = queue.shift();
    for (const next of transitions(definition.States[name] || {})) {
      if (!depth.has(next)) {
        depth.set(next, depth.get(name) + 1);
        queue.push(next);
      }
    }
  }
  for (const name of Object.keys(definition.States)) if (!depth.has(name)) depth.set(name, depth.size);
  const rows = [];
  for (const [name, row] of depth) (rows[row] ||= []).push(name);
  const widest = Math.max(...rows.map((row) => row.length));
  const width = widest * (BOX.width + BOX.gapX) + BOX.gapX;
  const at = new Map();
  rows.forEach((row, index) => {
    const offset = (width - row.length * (BOX.width + BOX.gapX) + BOX.gapX) / 2;
    row.forEach((name, column) => {
      at.set(name, { x: offset + column * (BOX.width + BOX.gapX), y: BOX.gapY + index * (BOX.height + BOX.gapY) });
    });
  });
  return { at, width, height: rows.length * (BOX.height + BOX.gapY) + BOX.gapY };
}

function svg(name, attributes, parent) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.append(element);
  return element;
}

function draw(execution) {
  const definition = execution.definition;
  const graph = document.getElementById("graph");
  graph.replaceChildren();
  const { at, width, height } = layout(definition);
  graph.setAttribute("width", width);
  graph.setAttribute("height", height);
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
    svg("defs", {}, graph));
  svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8d9696" }, marker);

  const byName = new Map();
  for (const step of execution.steps) byName.set(step.name, step);
  const taken = new Set();
  for (let index = 1; index < execution.steps.length; index += 1) {
    taken.add(`${execution.steps[index - 1].name}->${execution.steps[index].name}`);
  }
  for (const [name, state] of Object.entries(definition.States)) {
    const from = at.get(name);
    for (const next of transitions(state)) {
      const to = at.get(next);
      const line = svg("path", {
        d: `M ${from.x + BOX.width / 2} ${from.y + BOX.height} C ${from.x + BOX.width / 2} ${from.y + BOX.height + 24}, `
          + `${to.x + BOX.width / 2} ${to.y - 24}, ${to.x + BOX.width / 2} ${to.y}`,
        class: taken.has(`${name}->${next}`) ? "edge taken" : "edge",
      }, graph);
      line.dataset.edge = `${name}->${next}`;
    }
  }
  for (const [name, state] of Object.entries(definition.States)) {
    const step = byName.get(name);
    const classes = ["state"];
    if (step) {
      const failedHere = step.failures.length > 0;
      classes.push(step.caught ? "caught" : failedHere || state.Type === "Fail" ? "failed" : "visited");
    }
    const { x, y } = at.get(name);
    const group = svg("g", { class: classes.join(" "), transform: `translate(${x}, ${y})`, tabindex: 0 }, graph);
    group.dataset.state = name;
    svg("rect", { width: BOX.width, height: BOX.height, rx: 6 }, group);
    svg("text", { x: BOX.width / 2, y: 17 }, group).textContent = name;
    svg("text", { x: BOX.width / 2, y: 33, class: "type" }, group).textContent =
      step && step.retries ? `${state.Type} · ${step.retries} ${step.retries === 1 ? "retry" : "retries"}` : state.Type;
    group.addEventListener("click", () => showState(name, state, step, group));
  }
}

function showState(name, state, step, group) {
  for (const other of document.querySelectorAll(".state.chosen")) other.classList.remove("chosen");
  group.classList.add("chosen");
  const pane = document.getElementById("state-pane");
  pane.hidden = false;
  pane.dataset.state = name;
  document.getElementById("state-title").textContent = `${name} (${state.Type})`;
  facts(document.getElementById("state-facts"), step ? [
    ["Entered", step.enteredAt],
    ["Exited", step.exitedAt],
    ["Duration", step.durationMs == null ? null : `${step.durationMs} ms`],
    ["Attempts", step.attempts || null],
    ["Retries", step.retries || null],
    ["Failures", step.failures.length ? step.failures.map((failure) => failure.error).join(", ") : null],
    ["Caught", step.caught ? "yes: the workflow went on to its Catch" : null],
  ] : [["Not run", "the execution did not enter this state"]]);
  document.getElementById("state-input").textContent = step ? pretty(step.input) : "";
  document.getElementById("state-output").textContent = step ? pretty(step.output) : "";
}

window.addEventListener("hashchange", () => {
  const name = decodeURIComponent(location.hash.slice(1));
  if (name && name !== chosen) choose(name);
});
filters.addEventListener("input", refreshList);
filters.addEventListener("submit", (event) => event.preventDefault());
setInterval(() => { if (autoRefresh.checked) { refreshList(); refreshAlarms(); } }, 2000);
refreshAlarms();
refreshList().then(() => { if (chosen) choose(chosen); });
