// The line's page (docs/line.md): answer a check as the party's duty holder, send a check
// now (the supervisor), suspend or resume the line with a reason. Every write is a
// statement signed with this device's key (sign.js) and visible to every party; the page
// is redrawn from the server when a line entry arrives on the live stream.
//
// No inline code (CSP script-src 'self'); every visible text comes from the page's data-
// attributes (#line-page, and #cell-strings of base.html).
import { pageContext } from "./device.js";
import { signAndAppend } from "./sign.js";

const REQUESTED = "line.check.requested";
const ANSWERED = "line.check.answered";
const DECLARED = "line.status.declared";
const SENT = "system.line_check.sent";
const DEADLINE_KINDS = new Set(["system.deadline.missed", "system.escalation.notified"]);
// Refreshed from the server; forms outside them keep what the member typed.
const REGIONS = ["line-state", "line-open", "line-history"];
// What the cell refuses in a person's text (messaging/kinds.py check_text).
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
const FSI = "\u2068";
const PDI = "\u2069";

function texts() {
  return {
    ...(document.getElementById("cell-strings")?.dataset || {}),
    ...(document.getElementById("line-page")?.dataset || {}),
  };
}

/** A text of the page with its {placeholders} filled in, each value isolated. */
function say(key, values = {}) {
  let s = texts()[key] || "";
  for (const [k, v] of Object.entries(values)) s = s.split(`{${k}}`).join(FSI + String(v) + PDI);
  return s;
}

/** Tell the member, in the live region at the bottom of the page (base.html). */
function report(message, { failed = false, detail = "" } = {}) {
  const el = document.getElementById("cell-status");
  if (!el) return;
  el.textContent = message;
  if (detail) {
    const b = document.createElement("bdi"); // the server's words, isolated
    b.textContent = detail;
    el.append(" ", b);
  }
  el.classList.toggle("failed", failed);
  el.dataset.state = failed ? "failed" : "ok";
}

function refused(err) {
  console.warn("line: refused:", err);
  report(say("refused"), { failed: true, detail: err.message || String(err) });
}

function codeOf(ch) {
  return `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Why the cell would refuse this reason; null when it is fine (or empty and optional). */
function reasonProblem(value, required, max) {
  const s = value.trim();
  if (!s) return required ? say("empty") : null;
  if ([...s].length > max) return say("tooLong", { n: max });
  for (const ch of s) {
    if (BIDI.test(ch)) return say("bidi", { code: codeOf(ch) });
    if (CONTROL.test(ch)) return say("control", { code: codeOf(ch) });
  }
  return null;
}

function newCheckId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every party: the line's entries are visible to all of them. */
function everyone() {
  return pageContext().parties;
}

// ---- redrawing -------------------------------------------------------------------------------

let timer = null;

async function refresh() {
  const r = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) return;
  const doc = new DOMParser().parseFromString(await r.text(), "text/html");
  const active = document.activeElement;
  for (const id of REGIONS) {
    const el = document.getElementById(id);
    const fresh = doc.getElementById(id);
    if (!el || !fresh) continue;
    const focused = active && el.contains(active) ? active.dataset.check || active.id : null;
    el.replaceChildren(...fresh.childNodes);
    for (const a of fresh.getAttributeNames()) el.setAttribute(a, fresh.getAttribute(a));
    if (focused) {
      const again =
        el.querySelector(`[data-check="${CSS.escape(focused)}"] button, #${CSS.escape(focused)}`) ||
        el.querySelector("h2");
      again?.focus();
    }
  }
  // The declaration form changes only with the line's state, so that a reason being
  // typed is not wiped by an unrelated arrival.
  const form = document.getElementById("line-declare");
  const freshForm = doc.getElementById("line-declare");
  if (form && freshForm && form.dataset.mode !== freshForm.dataset.mode) {
    form.replaceChildren(...freshForm.childNodes);
    form.dataset.mode = freshForm.dataset.mode;
    form.hidden = freshForm.hidden;
  }
  document.documentElement.dataset.line = "ready";
}

function soon(wait = 200) {
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch((e) => console.warn("line:", e)), wait);
}

function concerns(f) {
  if (f.kind.startsWith("line.") || f.kind === SENT) return true;
  if (f.kind.startsWith("duty.")) return true; // who holds the duty decides who answers
  if (!DEADLINE_KINDS.has(f.kind)) return false;
  return (f.body?.items || []).some((i) => i.kind === "line.check");
}

/** The live stream (/api/v1/stream), resumed after the last entry seen, with back-off. */
function listen(after) {
  let last = after;
  let wait = 1000;
  const connect = () => {
    const u = new URL("/api/v1/stream", window.location.href);
    u.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    if (last !== null && last >= 0) u.searchParams.set("after", String(last));
    const ws = new WebSocket(u.href);
    let stopped = false;
    window.addEventListener("pagehide", () => {
      stopped = true;
      ws.close(1000);
    });
    ws.addEventListener("message", (ev) => {
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (f.type === "entry") {
        last = f.index;
        if (concerns(f)) soon();
      } else if (f.type === "ready" || f.type === "heartbeat") {
        last = Math.max(last ?? -1, f.size - 1);
        wait = 1000;
        document.documentElement.dataset.lineLive = "ready";
      } else if (f.type === "cutoff") {
        last = f.resume;
      }
    });
    ws.addEventListener("close", () => {
      if (stopped) return;
      setTimeout(connect, wait * (0.75 + Math.random() / 2));
      wait = Math.min(wait * 2, 30000);
    });
  };
  connect();
}

// ---- writing -----------------------------------------------------------------------------

async function answer(button) {
  const check = button.dataset.check;
  button.disabled = true;
  report(say("signing"));
  try {
    const done = await signAndAppend(ANSWERED, `line/${check}`, everyone(), { check });
    report(say("answered", { n: done.index }));
    await refresh();
  } catch (err) {
    button.disabled = false;
    refused(err);
  }
}

async function request(form) {
  const parties = [...form.querySelectorAll("input[name=parties]:checked")]
    .map((i) => i.value)
    .sort();
  if (!parties.length) {
    report(say("noParty"), { failed: true });
    form.querySelector("input[name=parties]")?.focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  report(say("signing"));
  const check = newCheckId();
  try {
    const done = await signAndAppend(REQUESTED, `line/${check}`, everyone(), { check, parties });
    report(say("requested", { n: done.index }));
    await refresh();
  } catch (err) {
    refused(err);
  } finally {
    button.disabled = false;
  }
}

async function declare(form) {
  const state = form.dataset.state;
  const area = form.querySelector("textarea[name=text]");
  const lang = form.querySelector("select[name=lang]").value;
  const max = Number(document.getElementById("line-page").dataset.maxReason) || 2000;
  const problem = reasonProblem(area.value, state === "suspended", max);
  if (problem) {
    report(problem, { failed: true });
    area.setAttribute("aria-invalid", "true");
    area.focus();
    return;
  }
  area.removeAttribute("aria-invalid");
  const body = { state };
  if (area.value.trim()) {
    body.text = area.value.trim();
    body.lang = lang;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  report(say("signing"));
  try {
    const done = await signAndAppend(DECLARED, "line", everyone(), body);
    report(say("sent", { n: done.index }));
    document.getElementById("line-declare").dataset.mode = ""; // redraw the form
    await refresh();
    document.getElementById("line-state-title")?.focus();
  } catch (err) {
    button.disabled = false;
    refused(err);
  }
}

function main() {
  const root = document.getElementById("line-page");
  if (!root) return;
  root.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action=answer]");
    if (b) answer(b);
  });
  root.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form.id === "line-request-form") {
      ev.preventDefault();
      request(form);
    } else if (form.id === "line-declare-form") {
      ev.preventDefault();
      declare(form);
    }
  });
  root.addEventListener("change", (ev) => {
    // The reason's field follows the language chosen for it.
    const sel = ev.target.closest("#line-declare-form select[name=lang]");
    if (!sel) return;
    const area = sel.form.querySelector("textarea[name=text]");
    area.lang = sel.value;
    area.dir = ["ar", "he", "fa", "ur"].includes(sel.value) ? "rtl" : "auto";
  });
  const size = Number(document.body.dataset.logSize);
  listen(size > 0 ? size - 1 : null);
  document.documentElement.dataset.line = "ready";
}

main();
