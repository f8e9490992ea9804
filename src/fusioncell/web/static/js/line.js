// The line's page (docs/line.md): answer a check as the party's duty holder, send a check
// now (the supervisor), suspend or resume the line with a reason. Every write is a
// statement signed with this device's key (sign.js) and visible to every party; the page
// is redrawn from the server when a line entry arrives on the page's live stream (cell.js,
// "cell:entry").
//
// No inline code (CSP script-src 'self'); every visible text comes from the page's data-
// attributes (#line-page, and #cell-strings of base.html).
import { pageContext } from "./device.js";
import { pageTools } from "./page.js";
import { signAndAppend } from "./sign.js";

const REQUESTED = "line.check.requested";
const ANSWERED = "line.check.answered";
const DECLARED = "line.status.declared";
const SENT = "system.line_check.sent";
const DEADLINE_KINDS = new Set(["system.deadline.missed", "system.escalation.notified"]);
// Refreshed from the server; forms outside them keep what the member typed.
const REGIONS = ["line-state", "line-open", "line-history"];

// The texts of #line-page (else #cell-strings), and base.html's status line.
const { say, report, refused, textProblem } = pageTools("line", {
  strings: ["line-page", "cell-strings"],
  status: "cell-status",
});

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
  const problem = textProblem(area.value, max, { required: state === "suspended" });
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
  // The page's one live stream is cell.js's: it hands each entry on as "cell:entry".
  document.addEventListener("cell:entry", (ev) => {
    if (concerns(ev.detail)) soon();
  });
  document.documentElement.dataset.line = "ready";
}

main();
