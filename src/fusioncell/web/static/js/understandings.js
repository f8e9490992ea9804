// Understandings in the browser (docs/understandings.md, "The pages"): recording an
// understanding, changing its status, setting its timeline and milestones, meeting or
// moving a milestone, the supervisor's verification reports, linking an entry.
//
// Every write is a statement signed with this device's key (sign.js) and appended at
// /log/v1/append; after a write the page is loaded again. The shared record is visible to
// every party of the charter (data-codes); a link to exactly the linked entry's readers,
// read from the log (an entry this party cannot read is sent as it is, and the log refuses
// it as one that does not exist). No inline code (CSP script-src 'self'); every visible
// text comes from data- attributes.
import { pageTools } from "./page.js";
import { signAndAppend } from "./sign.js";

const K = {
  record: "understanding.recorded",
  status: "understanding.status.changed",
  timeline: "understanding.timeline.set",
  milestone: "understanding.milestone.set",
  move: "understanding.milestone.moved",
  met: "understanding.milestone.met",
  verify: "understanding.verification.recorded",
  link: "understanding.link.added",
};

const { say, report, checked } = pageTools("understandings");

function stop(message, field) {
  report(message, { failed: true });
  field?.focus();
  return null;
}

/** "12, 40" -> [12, 40]; null (reported) when it is not a list of entry numbers. */
function evidence(field, required) {
  const raw = field.value.trim();
  if (!raw) return required ? stop(say("needEvidence"), field) : [];
  const parts = raw.split(/[\s,،]+/u).filter(Boolean);
  if (!parts.every((p) => /^\d{1,15}$/.test(p))) return stop(say("evidence"), field);
  return [...new Set(parts.map(Number))];
}

/** A datetime-local value (the reader's clock) -> the log's UTC form. */
function due(field) {
  if (!field.value) return stop(say("due"), field);
  const t = new Date(field.value);
  if (Number.isNaN(t.getTime())) return stop(say("due"), field);
  return t.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function page() {
  const d = document.getElementById("understandings")?.dataset || {};
  return { understanding: d.understanding || "", codes: (d.codes || "").split(",").filter(Boolean) };
}

async function write(kind, body, { understanding, visibility } = {}) {
  const p = page();
  const u = understanding || p.understanding;
  report(say("signing"));
  const done = await signAndAppend(kind, `u/${u}`, visibility || p.codes, { understanding: u, ...body });
  report(say("sent", { n: done.index }));
  if (understanding && !p.understanding) window.location.assign(`/understandings/${u}`);
  else window.location.reload();
}

function checkedParties(form) {
  return [...form.querySelectorAll("input[name=parties]:checked")].map((i) => i.value).sort();
}

async function onRecord(form) {
  const id = form.elements.understanding.value.trim();
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)) return stop(say("ident"), form.elements.understanding);
  const text = checked(form.elements.text, Number(form.dataset.max) || 8000);
  if (text === null) return null;
  const source = checked(form.elements.source, Number(form.dataset.maxSource) || 300);
  if (source === null) return null;
  const parties = checkedParties(form);
  if (!parties.length) return stop(say("parties"), form.querySelector("input[name=parties]"));
  const body = { kind: form.elements.kind.value, text, lang: form.elements.lang.value, parties, source };
  return write(K.record, body, { understanding: id });
}

async function onStatus(form) {
  const status = form.elements.status.value;
  const needs = (form.dataset.needs || "").split(",");
  const ev = evidence(form.elements.evidence, needs.includes(status));
  if (ev === null) return null;
  const reason = checked(form.elements.reason, Number(form.dataset.max) || 8000);
  if (reason === null) return null;
  return write(K.status, { status, reason, lang: form.elements.lang.value, evidence: ev });
}

async function onTimeline(form) {
  const reason = checked(form.elements.reason, Number(form.dataset.max) || 8000);
  if (reason === null) return null;
  const start = form.elements.start.value || null;
  const end = form.elements.end.value || null;
  return write(K.timeline, { start, end, reason, lang: form.elements.lang.value });
}

function newId() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

async function onMilestone(form) {
  const when = due(form.elements.due);
  if (when === null) return null;
  const title = checked(form.elements.title, Number(form.dataset.maxTitle) || 200);
  if (title === null) return null;
  const parties = checkedParties(form);
  if (!parties.length) return stop(say("parties"), form.querySelector("input[name=parties]"));
  const body = { milestone: newId(), title, lang: form.elements.lang.value, due: when, parties };
  return write(K.milestone, body);
}

async function onMove(form) {
  const when = due(form.elements.due);
  if (when === null) return null;
  const reason = checked(form.elements.reason, Number(form.dataset.max) || 8000);
  if (reason === null) return null;
  const body = { milestone: form.dataset.milestone, due: when, reason, lang: form.elements.lang.value };
  return write(K.move, body);
}

async function onMet(form) {
  const ev = evidence(form.elements.evidence, true);
  if (ev === null) return null;
  const text = checked(form.elements.text, Number(form.dataset.max) || 8000);
  if (text === null) return null;
  const body = { milestone: form.dataset.milestone, text, lang: form.elements.lang.value, evidence: ev };
  return write(K.met, body);
}

async function onVerify(form) {
  const assessment = form.elements.assessment.value;
  const ev = evidence(form.elements.evidence, assessment !== "cannot_verify");
  if (ev === null) return null;
  const findings = checked(form.elements.findings, Number(form.dataset.max) || 8000);
  if (findings === null) return null;
  return write(K.verify, { assessment, findings, lang: form.elements.lang.value, evidence: ev });
}

/** Who reads entry `index` (its statement's visibility), or null if this party cannot. */
async function readersOf(index) {
  const r = await fetch(`/log/v1/entries?start=${index}&end=${index + 1}`, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!r.ok) return null;
  const data = await r.json();
  const e = data.entries?.[0];
  if (!e?.entry) return null;
  const bytes = Uint8Array.from(atob(e.entry), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)).statement.visibility;
}

async function onLink(form) {
  const raw = form.elements.entry.value.trim();
  if (!/^\d{1,15}$/.test(raw)) return stop(say("entry"), form.elements.entry);
  const entry = Number(raw);
  const body = { entry };
  if (form.elements.note.value.trim()) {
    const note = checked(form.elements.note, Number(form.dataset.max) || 8000);
    if (note === null) return null;
    body.note = note;
    body.lang = form.elements.lang.value;
  }
  const visibility = (await readersOf(entry)) || page().codes;
  return write(K.link, body, { visibility });
}

const HANDLERS = {
  record: onRecord,
  status: onStatus,
  timeline: onTimeline,
  milestone: onMilestone,
  move: onMove,
  met: onMet,
  verify: onVerify,
  link: onLink,
};

function main() {
  if (!document.body.dataset.member) return;
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-u]");
    if (!form) return;
    ev.preventDefault();
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    HANDLERS[form.dataset.u](form)
      .catch((err) => {
        console.warn("understandings: refused:", err);
        report(say("refused"), { failed: true, detail: err.message || String(err) });
      })
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  });
  document.documentElement.dataset.understandings = "ready";
}

main();
