// The sandbox console: every panel reads and writes through the control plane's JSON endpoints
// (/_sandbox/...), the same ones a test or a script uses; nothing here is private to the page.
"use strict";

const TOKEN_KEY = "standin.adminToken";
// Tenant tokens (returned when a tenant is made) start so; any other token is the admin's.
const TENANT_TOKEN_PREFIX = "st_";
const TENANT_KEY = "standin.tenant";
const POLL_MS = 1500;
const CLOCK_SYNC_MS = 10000;

// The vendor triggers the console offers a form for: the path's {placeholders} and the body's
// fields are filled in by the user; `tenant` is added to bodies that take one.
const TRIGGERS = [
  {
    api: "metasys", title: "Raise a Metasys alarm",
    path: "/metasys/objects/{objectId}/alarms", tenantInBody: true,
    body: { type: "avHiAlarm", priority: 100, message: "Raised from the console" },
  },
  {
    api: "metasys", title: "Take a Metasys device offline (or back)",
    path: "/metasys/devices/{deviceId}/offline", tenantInBody: true,
    body: { offline: true },
  },
  {
    api: "buildingminds", title: "Fail a BuildingMinds record",
    path: "/buildingminds/messages/{inboundId}/fail", tenantInBody: false,
    body: { status: "Failed", message: "Rejected from the console" },
  },
  {
    api: "locus", title: "Raise a Locus alert",
    path: "/locus/alerts", tenantInBody: true,
    body: { componentId: 456, alertType: "Device Fault", priority: "High", durationSeconds: 3600 },
  },
  {
    api: "atmotube", title: "Register an Atmotube device",
    path: "/atmotube/devices", tenantInBody: false,
    body: { api_key: "", mac: "AA:BB:CC:DD:EE:FF" },
  },
];

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  tenant: sessionStorage.getItem(TENANT_KEY) || "default",
  apis: [],
  credentials: {},
  journalShown: "",
  open: new Set(),
  clock: null,
};

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

function say(message, isError = false) {
  const status = $("#status");
  status.textContent = message;
  status.className = isError ? "error" : "";
}

class ControlError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// One control-plane call: the admin token as a header, `?tenant=` where the endpoint is scoped.
async function control(method, path, { body, tenant = true, params = {} } = {}) {
  const url = new URL("/_sandbox" + path, location.origin);
  if (tenant) url.searchParams.set("tenant", state.tenant);
  for (const [name, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  if (state.token) {
    const name = state.token.startsWith(TENANT_TOKEN_PREFIX)
      ? "X-Standin-Tenant-Token" : "X-Standin-Admin-Token";
    headers[name] = state.token;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = data && data.error ? data.error : `HTTP ${response.status}`;
    throw new ControlError(response.status, `${method} /_sandbox${path}: ${message}`);
  }
  return data;
}

// Runs an action, reports its failure in the status line, and refreshes what it may change.
async function act(action, ...refreshers) {
  try {
    const done = await action();
    if (typeof done === "string") say(done);
  } catch (error) {
    say(error.message, true);
    if (error.status === 401) $("#admin-token").focus();
  }
  await Promise.all(refreshers.map((refresh) => refresh()));
}

function formatted(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function prettyBody(text) {
  if (!text) return "(empty)";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Not a secure context (plain HTTP beyond localhost): select and copy the old way.
    const area = el("textarea", { class: "offscreen" }, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = "Copy"), 1200);
}

/* Session: tenant and token. */

// The tenants this session may pick: every one with the admin token (or locally, on a sandbox
// that is not shared); with a tenant token only its own, and no new ones.
async function tenantIds() {
  const access = await control("GET", "/access", { tenant: false });
  $("#new-tenant").disabled = access.access === "tenant";
  if (access.access === "tenant") return [access.tenant];
  const { tenants } = await control("GET", "/tenants", { tenant: false });
  return tenants.map((t) => t.tenant);
}

async function loadTenants() {
  const select = $("#tenant");
  try {
    const ids = await tenantIds();
    if (!ids.includes(state.tenant)) state.tenant = ids[0] || "default";
    select.replaceChildren(...ids.map((id) => el("option", { value: id }, id)));
    select.value = state.tenant;
    return true;
  } catch (error) {
    say(error.status === 401
      ? "This server's control plane needs its admin token (or your tenant token): enter it above."
      : error.message, true);
    return false;
  }
}

/* APIs and their docs. */

async function loadApis() {
  // /_sandbox/health needs no token, so the API list shows even before one is entered.
  const response = await fetch("/_sandbox/health", { headers: { Accept: "application/json" } });
  const health = await response.json();
  state.apis = health.apis;
  const rows = state.apis.map((api) => {
    const base = `${location.origin}/${api}`;
    const copyButton = el("button", { type: "button", class: "copy" }, "Copy");
    copyButton.addEventListener("click", () => copy(base, copyButton));
    return el("tr", { "data-api": api },
      el("td", {}, el("strong", {}, api)),
      el("td", {}, el("code", {}, base), " ", copyButton,
        el("br"), el("small", {}, "the vendor's host becomes this prefix")),
      el("td", {}, el("a", { href: `/docs/${api}` }, "API docs"), " · ",
        el("a", { href: `/${api}/openapi.json` }, "openapi.json")));
  });
  $("#apis tbody").replaceChildren(...rows);
  const options = state.apis.map((api) => el("option", { value: api }, api));
  $("#fault-add [name=api]").replaceChildren(...options.map((o) => o.cloneNode(true)));
  $("#journal-filters [name=api]").append(...options);
}

/* Clock. */

// The clock is asked every CLOCK_SYNC_MS (a script may move it) and ticks here in between, so
// the page adds one request per poll to the server's log, not three.
function showClock(clock) {
  state.clock = { at: Date.parse(clock.now), seen: Date.now(), mode: clock.mode };
  $("#clock-now").textContent = clock.now;
  $("#clock-mode").textContent = clock.mode;
}

function tickClock() {
  const clock = state.clock;
  if (!clock || clock.mode === "frozen") return;
  $("#clock-now").textContent = new Date(clock.at + Date.now() - clock.seen).toISOString();
}

async function refreshClock() {
  try {
    showClock(await control("GET", "/clock"));
  } catch (error) {
    $("#clock-now").textContent = "unavailable";
  }
}

async function moveClock(body) {
  showClock(await control("POST", "/clock", { body }));
  return `Clock: ${Object.keys(body)[0]}`;
}

/* Credentials. */

async function refreshCredentials() {
  const box = $("#credentials");
  try {
    state.credentials = await control("GET", "/credentials");
  } catch (error) {
    box.replaceChildren(el("p", { class: "hint" }, error.message));
    return;
  }
  const blocks = Object.entries(state.credentials).map(([api, values]) => {
    const rows = Object.entries(values)
      .filter(([name]) => name !== "keys")
      .map(([name, value]) => {
        const text = Array.isArray(value) ? value.join(", ") : formatted(value);
        const button = el("button", { type: "button", class: "copy" }, "Copy");
        button.addEventListener("click", () => copy(text, button));
        return el("tr", {}, el("th", {}, name), el("td", {}, el("code", {}, text)), el("td", {}, button));
      });
    return el("details", { "data-api": api }, el("summary", {}, api),
      el("div", { class: "scroll" }, el("table", { class: "credentials" }, el("tbody", {}, rows))));
  });
  box.replaceChildren(...blocks);
}

/* Journal. */

function journalKey(entry) {
  return [entry.at, entry.method, entry.path, entry.query, entry.status, entry.duration_ms].join("|");
}

function journalParams() {
  const form = $("#journal-filters");
  return {
    api: form.api.value,
    method: form.method.value.trim().toUpperCase(),
    path: form.path.value.trim(),
    status: form.status.value.trim(),
    limit: "100",
  };
}

async function refreshJournal() {
  const form = $("#journal-filters");
  let entries;
  try {
    const answer = await control("GET", "/requests", {
      tenant: !form["all-tenants"].checked, params: journalParams(),
    });
    entries = answer.requests;
  } catch (error) {
    $("#journal-count").textContent = error.message;
    return;
  }
  const shown = JSON.stringify(entries);
  if (shown === state.journalShown) return;
  state.journalShown = shown;
  // New requests may have worn a counted fault out.
  refreshFaults();
  $("#journal-count").textContent = entries.length
    ? `${entries.length} newest first` : "No requests match yet.";
  $("#journal").replaceChildren(...entries.map((entry) => {
    const key = journalKey(entry);
    const details = el("details", { open: state.open.has(key) },
      el("summary", {},
        el("span", { class: `status s${String(entry.status)[0]}` }, entry.status), " ",
        el("strong", {}, entry.method), " ",
        el("code", { class: "path" }, `/${entry.api}${entry.path}${entry.query ? "?" + entry.query : ""}`),
        " ", el("small", {}, `${entry.at} · ${entry.duration_ms} ms · tenant ${entry.tenant ?? "none"}`
          + (entry.fault_id ? ` · fault ${entry.fault_id}` : ""))),
      el("div", { class: "entry" },
        el("h4", {}, "Request headers"),
        el("pre", {}, Object.entries(entry.request_headers).map(([n, v]) => `${n}: ${v}`).join("\n")),
        el("h4", {}, "Request body"), el("pre", {}, prettyBody(entry.request_body)),
        el("h4", {}, "Response body" + (entry.truncated ? " (cut)" : "")),
        el("pre", {}, prettyBody(entry.response_body))));
    details.addEventListener("toggle", () => {
      if (details.open) state.open.add(key); else state.open.delete(key);
    });
    return el("li", {}, details);
  }));
}

/* Faults. */

async function refreshFaults() {
  let faults;
  try {
    ({ faults } = await control("GET", "/faults"));
  } catch (error) {
    return;
  }
  $("#faults tbody").replaceChildren(...faults.map((fault) => {
    const remove = el("button", { type: "button" }, "Remove");
    remove.addEventListener("click", () =>
      act(async () => {
        await control("DELETE", `/faults/${encodeURIComponent(fault.id)}`);
        return `Fault ${fault.id} removed`;
      }, refreshFaults));
    return el("tr", { "data-fault": fault.id },
      el("td", {}, fault.api), el("td", {}, fault.method || "any"),
      el("td", {}, el("code", {}, fault.path || "any")), el("td", {}, formatted(fault.status)),
      el("td", {}, fault.latency_ms ? `${fault.latency_ms} ms` : ""),
      el("td", {}, fault.count === null ? "∞" : fault.count), el("td", {}, remove));
  }));
}

function faultSpec(form) {
  const spec = { api: form.api.value };
  if (form.method.value.trim()) spec.method = form.method.value.trim().toUpperCase();
  if (form.path.value.trim()) spec.path = form.path.value.trim();
  for (const name of ["status", "count"]) {
    if (form[name].value) spec[name] = Number.parseInt(form[name].value, 10);
  }
  if (form.latency_ms.value) spec.latency_ms = Number(form.latency_ms.value);
  if (form.body.value.trim()) {
    try {
      spec.body = JSON.parse(form.body.value);
    } catch {
      spec.body = form.body.value;
    }
  }
  return spec;
}

/* Rate limits: the settings are drawn when the tenant changes or a change is saved (so a poll
   never overwrites what the user is typing); the counts beside them refresh with the journal. */

async function refreshLimits() {
  let limits;
  try {
    limits = await control("GET", "/limits");
  } catch (error) {
    return;
  }
  const rows = [];
  for (const [api, named] of Object.entries(limits)) {
    for (const [name, limiter] of Object.entries(named)) {
      const limit = el("input", { type: "number", min: "1", value: limiter.limit, name: "limit", size: "5" });
      const windowInput = "window_seconds" in limiter
        ? el("input", { type: "number", min: "0", step: "any", value: limiter.window_seconds, name: "window_seconds", size: "5" })
        : el("span", { class: "hint" }, "in flight");
      const enabled = el("input", { type: "checkbox", name: "enabled", checked: limiter.enabled });
      const save = el("button", { type: "button" }, "Save");
      save.addEventListener("click", () => act(async () => {
        const settings = { limit: Number.parseInt(limit.value, 10), enabled: enabled.checked };
        if (windowInput.tagName === "INPUT") settings.window_seconds = Number(windowInput.value);
        await control("PATCH", "/limits", { body: { [api]: { [name]: settings } } });
        return `${api} ${name}: saved`;
      }, refreshLimits));
      rows.push(el("tr", { "data-limiter": `${api}.${name}` },
        el("td", {}, el("strong", {}, `${api} ${name}`), el("br"),
          el("small", {}, `${limiter.kind}${limiter.description ? " · " + limiter.description : ""}`)),
        el("td", {}, limit), el("td", {}, windowInput), el("td", {}, enabled),
        el("td", { class: "used" }, usageCell(limiter)), el("td", {}, save)));
    }
  }
  $("#limits tbody").replaceChildren(...rows);
}

function usageCell(limiter) {
  if (!limiter.keys.length) return [el("span", { class: "hint" }, "none counted")];
  const lines = limiter.keys.map((usage) => el("div", { "data-key": usage.key },
    el("code", {}, usage.key), " ",
    el("strong", { class: "count" }, `${usage.used}/${usage.limit}`),
    usage.frees_at ? el("small", {}, ` · frees ${usage.frees_at.slice(11, 19)}`) : null));
  const hidden = limiter.keys_counted - limiter.keys.length;
  if (hidden > 0) {
    lines.push(el("small", {}, `+${hidden} more keys (the ${limiter.keys_shown_at_most} busiest shown)`));
  }
  return lines;
}

async function refreshLimitCounts() {
  let limits;
  try {
    limits = await control("GET", "/limits");
  } catch (error) {
    return;
  }
  for (const [api, named] of Object.entries(limits)) {
    for (const [name, limiter] of Object.entries(named)) {
      const cell = $(`#limits tr[data-limiter="${api}.${name}"] td.used`);
      if (cell) cell.replaceChildren(...usageCell(limiter));
    }
  }
}

/* Vendor triggers. */

function renderTriggers() {
  const cards = TRIGGERS.filter((t) => state.apis.includes(t.api)).map((trigger) => {
    const names = [...trigger.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const body = { ...trigger.body };
    if (trigger.api === "atmotube" && state.credentials.atmotube) {
      body.api_key = state.credentials.atmotube.api_key;
    }
    const form = el("form", { class: "card", "data-trigger": trigger.path },
      el("h3", {}, trigger.title),
      el("code", { class: "hint" }, `POST /_sandbox${trigger.path}`),
      names.map((name) => el("label", {}, name, " ", el("input", { name, required: true }))),
      el("label", {}, "Body (JSON)",
        el("textarea", { name: "body", rows: "6" }, JSON.stringify(body, null, 1))),
      el("button", { type: "submit" }, "Send"),
      el("pre", { class: "answer" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(async () => {
        let path = trigger.path;
        for (const name of names) path = path.replace(`{${name}}`, encodeURIComponent(form[name].value));
        const payload = JSON.parse(form.body.value || "{}");
        if (trigger.tenantInBody && !("tenant" in payload)) payload.tenant = state.tenant;
        const answer = await control("POST", path, { body: payload, tenant: !trigger.tenantInBody });
        $(".answer", form).textContent = JSON.stringify(answer, null, 1);
        return `${trigger.title}: done`;
      });
    });
    return form;
  });
  $("#triggers").replaceChildren(...cards);
}

/* Wiring. */

async function refreshTenantPanels() {
  await Promise.all([refreshClock(), refreshCredentials(), refreshFaults(), refreshLimits()]);
  state.journalShown = "";
  await refreshJournal();
  renderTriggers();
}

function wire() {
  $("#admin-token").value = state.token;
  $("#session").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("#admin-token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    start();
  });
  $("#tenant").addEventListener("change", (event) => {
    state.tenant = event.target.value;
    sessionStorage.setItem(TENANT_KEY, state.tenant);
    refreshTenantPanels();
  });
  $("#new-tenant").addEventListener("click", () => act(async () => {
    const created = await control("POST", "/tenants", { tenant: false });
    state.tenant = created.tenant;
    sessionStorage.setItem(TENANT_KEY, state.tenant);
    await loadTenants();
    await refreshTenantPanels();
    return `Tenant ${created.tenant} created`;
  }));
  $("#clock-advance").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => moveClock({ advance: Number(event.target.seconds.value) }));
  });
  $("#clock-set").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => moveClock({ set: event.target.instant.value.trim() }));
  });
  $("#clock-freeze").addEventListener("click", () => act(() => moveClock({ freeze: true })));
  $("#clock-real").addEventListener("click", () => act(() => moveClock({ real: true })));
  $("#fault-add").addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {
      const { id } = await control("POST", "/faults", { body: faultSpec(event.target) });
      return `Fault ${id} added`;
    }, refreshFaults);
  });
  const filters = $("#journal-filters");
  filters.addEventListener("input", () => refreshJournal());
  filters.addEventListener("submit", (event) => event.preventDefault());
  $("#journal-clear").addEventListener("click", () => act(async () => {
    await control("DELETE", "/requests", { tenant: !filters["all-tenants"].checked });
    return "Journal cleared";
  }, refreshJournal));
  // Live: the journal polls, the clock ticks and now and then asks; a hidden tab stops asking.
  setInterval(() => {
    if (!document.hidden && filters.live.checked) {
      refreshJournal();
      refreshLimitCounts();
    }
  }, POLL_MS);
  setInterval(() => {
    if (!document.hidden && filters.live.checked) refreshClock();
  }, CLOCK_SYNC_MS);
  setInterval(tickClock, 1000);
}

async function start() {
  if (await loadTenants()) {
    say(`Tenant ${state.tenant}`);
    await refreshTenantPanels();
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  wire();
  await loadApis();
  await start();
  document.body.dataset.ready = "true";
});
