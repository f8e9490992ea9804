// Duty rosters in the browser (docs/duty.md, "The pages"): the /duty page's forms and the
// board of who is on duty, on /duty and on the home page.
//
// Every write is a statement signed with this device's key (sign.js) and appended at
// /log/v1/append: a swap or take request, a hand-over note, the admin's decision, a roster.
// A roster is drafted by the server first (POST /api/v1/duty/{party}/roster/draft turns the
// table, in the party's time zone, into the exact body to sign); the log checks it again.
// After a write, and when a shift changes hands, the page's sections are fetched again.
// No inline code (CSP script-src 'self'); every visible text comes from data- attributes.
import { api } from "./device.js";
import { pageTools } from "./page.js";
import { signAndAppend } from "./sign.js";

const ROSTER = "duty.roster.published";
const HANDOVER = "duty.handover.noted";
const SWAP = "duty.swap.requested";
const TAKE = "duty.take.requested";
const DECISION = {
  "swap:approve": "duty.swap.approved",
  "swap:decline": "duty.swap.declined",
  "take:approve": "duty.take.approved",
  "take:decline": "duty.take.declined",
};
// Sections the server renders again; forms outside them keep what the member typed.
const SECTIONS = ["duty-board", "duty-roster", "duty-take", "duty-note", "duty-requests", "duty-handovers"];

// ---- texts and the status line ----------------------------------------------------------

// #duty-strings (else #cell-strings) and #duty-status; a success is cleared after a while.
const { say, report, refused, textProblem } = pageTools("duty", { clearAfter: 8000 });

// ---- the page ----------------------------------------------------------------------------

function page() {
  const d = document.getElementById("duty")?.dataset || {};
  return {
    party: d.party || document.body.dataset.party || "",
    visibility: (d.visibility || "").split(",").filter(Boolean),
    now: d.now || new Date().toISOString(),
  };
}

/** Sign a duty entry of the member's own party and append it; reports the entry. */
async function write(kind, body, { own = false } = {}) {
  const party = document.body.dataset.party;
  const vis = own ? [party] : page().visibility;
  report(say("signing"));
  const done = await signAndAppend(kind, `duty/${party}`, vis, { party, ...body });
  await refresh();
  report(say("sent", { n: done.index }));
  return done;
}

/** Fetch this page again and replace its live sections (not one the member is in). */
async function refresh() {
  const r = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) return;
  const doc = new DOMParser().parseFromString(await r.text(), "text/html");
  for (const id of SECTIONS) {
    const old = document.getElementById(id);
    const fresh = doc.getElementById(id);
    if (!old || !fresh) continue;
    const busy = old.contains(document.activeElement) && document.activeElement !== document.body;
    if (busy && old.querySelector("details[open], textarea, input")) continue;
    old.replaceWith(fresh);
  }
  const freshDuty = doc.getElementById("duty");
  const duty = document.getElementById("duty");
  if (freshDuty && duty) duty.dataset.now = freshDuty.dataset.now;
  schedule();
}

// ---- the board: fetched again when a shift changes hands ----------------------------------

let boardTimer = null;
let lastChange = null;

function schedule() {
  clearTimeout(boardTimer);
  const board = document.getElementById("duty-board");
  const at = Date.parse(board?.dataset.changeAt || "");
  if (Number.isNaN(at)) return;
  // The server's clock decides who holds the duty; ours only says when to ask again. A
  // browser clock ahead of the server's would ask again and again: not more than every 15 s.
  let wait = Math.max(at - Date.now(), 0) + 1000;
  if (at === lastChange) wait = Math.max(wait, 15000);
  lastChange = at;
  wait = Math.min(wait, 2 ** 31 - 1);
  boardTimer = setTimeout(() => refreshBoard().catch((e) => console.warn("duty:", e)), wait);
}

async function refreshBoard() {
  if (document.getElementById("duty")) return refresh();
  const r = await fetch("/duty/board", { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) return;
  const fresh = new DOMParser().parseFromString(await r.text(), "text/html");
  const el = fresh.getElementById("duty-board");
  document.getElementById("duty-board")?.replaceWith(el);
  schedule();
}

// ---- the forms -----------------------------------------------------------------------------

function busy(form, on) {
  for (const b of form.querySelectorAll("button")) b.disabled = on;
}

async function onSwap(form) {
  const opt = form.elements.with.selectedOptions[0];
  if (!opt || !opt.dataset.member) {
    form.elements.with.focus();
    return;
  }
  const body = { shift: form.dataset.shift, with: opt.dataset.member };
  if (opt.dataset.shift) body.with_shift = opt.dataset.shift;
  await write(SWAP, body);
}

async function onTake(form) {
  const hours = Number(form.elements.hours.value || 0);
  const body = {};
  if (hours > 0) {
    // From the server's time when the page was drawn: the approval comes later anyway.
    body.until = new Date(Date.parse(page().now) + hours * 3600_000).toISOString();
  }
  await write(TAKE, body);
}

async function onNote(form) {
  const text = form.elements.text;
  const problem = textProblem(text.value, Number(form.dataset.max) || 4000);
  if (problem) {
    report(problem, { failed: true });
    text.focus();
    return;
  }
  const body = { text: text.value.trim(), lang: form.elements.lang.value };
  if (form.elements.to.value) body.to = form.elements.to.value;
  await write(HANDOVER, body, { own: true });
  text.value = "";
}

async function draft(payload) {
  report(say("checking"));
  return api(`/api/v1/duty/${encodeURIComponent(page().party)}/roster/draft`, {
    method: "POST",
    body: payload,
  });
}

async function onRotation(form) {
  const members = [...form.querySelectorAll("input[name=members]:checked")].map((i) => i.value);
  if (!members.length) {
    report(say("choose"), { failed: true });
    form.querySelector("input[name=members]")?.focus();
    return;
  }
  const got = await draft({
    rotation: {
      members,
      start: form.elements.start.value,
      hours: Number(form.elements.hours.value),
      count: Number(form.elements.count.value),
    },
  });
  const table = document.querySelector("#duty-publish-form textarea[name=table]");
  table.value = got.table;
  table.focus();
  report(say("filled", { n: got.body.shifts.length }));
}

async function onPublish(form) {
  const payload = { table: form.elements.table.value };
  if (form.elements.from.value) payload.from = form.elements.from.value;
  if (form.elements.to.value) payload.to = form.elements.to.value;
  const got = await draft(payload);
  const { party: _party, ...body } = got.body;
  await write(ROSTER, body);
  form.elements.table.value = got.table;
}

const HANDLERS = { swap: onSwap, take: onTake, note: onNote, rotation: onRotation, publish: onPublish };

function main() {
  if (!document.body.dataset.member) return;
  // Delegated: the sections are replaced after each write, their forms with them.
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-duty]");
    if (!form) return;
    ev.preventDefault();
    const handler = HANDLERS[form.dataset.duty];
    busy(form, true);
    handler(form)
      .catch(refused)
      .finally(() => busy(form, false));
  });
  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-duty-decide]");
    if (!button) return;
    const kind = DECISION[`${button.dataset.kind}:${button.dataset.dutyDecide}`];
    if (!kind) return;
    button.disabled = true;
    write(kind, { request: Number(button.dataset.request) })
      .catch(refused)
      .finally(() => {
        button.disabled = false;
      });
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshBoard().catch((e) => console.warn("duty:", e));
  });
  schedule();
  document.documentElement.dataset.duty = "ready";
}

main();
