// Diplomatic engagement in the browser (docs/diplomacy.md, "The pages"): recording and
// revising rounds, the next round, scheduling meetings, minutes, outcomes, follow-up items.
//
// Every write is a statement signed with this device's key (sign.js) and appended at
// /log/v1/append. After a write the page is loaded again (a new round or meeting opens its
// own page). No inline code (CSP script-src 'self'); every visible text comes from data-
// attributes.
import { signAndAppend } from "./sign.js";
import { newId, pageTools } from "./page.js";

const { say, report, refused, textProblem, checked } = pageTools("diplomacy");

const ROUND_RECORDED = "diplomacy.round.recorded";
const ROUND_REVISED = "diplomacy.round.revised";
const ROUND_NEXT = "diplomacy.round.next";
const MEETING = "diplomacy.meeting.scheduled";
const MINUTES = "diplomacy.minutes.recorded";
const OUTCOME = "diplomacy.outcome.recorded";
const FOLLOWUP = "diplomacy.followup.added";
const CLOSED = "diplomacy.followup.closed";

function fail(key, field) {
  report(say(key), { failed: true });
  field?.focus();
  return null;
}

function maxOf(form) {
  return Number(form.dataset.max) || 8000;
}

/** [{party, roles}] from the role checkboxes, sorted, each party with a role once. */
function delegationsOf(form) {
  const out = [];
  for (const fs of form.querySelectorAll("fieldset.delegation")) {
    const party = fs.dataset.party;
    const roles = [...fs.querySelectorAll("input[type=checkbox]:checked")].map((i) => i.value);
    if (roles.length) out.push({ party, roles: roles.sort() });
  }
  return out.sort((a, b) => (a.party < b.party ? -1 : 1));
}

/** Who reads it: the delegations' parties and the supervising party. */
function partiesOf(delegations, supervisor) {
  return [...new Set([...delegations.map((d) => d.party), supervisor].filter(Boolean))].sort();
}

function page() {
  const d = document.getElementById("diplomacy")?.dataset || {};
  return {
    round: d.round || "",
    meeting: d.meeting || "",
    parties: (d.parties || "").split(",").filter(Boolean),
  };
}

/** The round's content from the round or revision form; null when something must be fixed. */
function roundContent(form) {
  const place = checked(form.elements.place, Number(form.dataset.maxTitle) || 200);
  if (place === null) return null;
  const start = form.elements.start.value;
  const end = form.elements.end.value;
  if (!start) return fail("noDays", form.elements.start);
  if (!end) return fail("noDays", form.elements.end);
  if (end < start) return fail("dates", form.elements.end);
  const delegations = delegationsOf(form);
  if (delegations.length < 2) return fail("nobody");
  const lang = form.elements.lang.value;
  const rest = JSON.parse(form.dataset.placeRest || "[]").filter((t) => t.lang !== lang);
  return { place: [{ text: place, lang }, ...rest], start, end, delegations };
}

async function onRound(form) {
  const body = roundContent(form);
  if (body === null) return;
  const note = form.elements.note.value.trim();
  if (note) {
    const text = checked(form.elements.note, maxOf(form));
    if (text === null) return;
    body.note = [{ text, lang: form.elements.lang.value }];
  }
  const follows = form.elements.follows?.value;
  if (follows) body.follows = follows;
  const round = newId("r-");
  const parties = partiesOf(body.delegations, form.dataset.supervisor);
  report(say("signing"));
  await signAndAppend(ROUND_RECORDED, `dr/${round}`, parties, { round, ...body });
  window.location.assign(`/diplomacy/r/${round}`);
}

async function onRevise(form) {
  const body = roundContent(form);
  if (body === null) return;
  const note = JSON.parse(form.dataset.note || "[]");
  if (note.length) body.note = note;
  const { round, parties } = page();
  report(say("signing"));
  await signAndAppend(ROUND_REVISED, `dr/${round}`, parties, { round, ...body });
  window.location.reload();
}

async function onNext(form) {
  const { round, parties } = page();
  let next = "not_scheduled";
  if (!form.elements.unscheduled.checked) {
    next = form.elements.date.value;
    if (!next) return fail("noNext", form.elements.date);
  }
  report(say("signing"));
  await signAndAppend(ROUND_NEXT, `dr/${round}`, parties, { round, next });
  window.location.reload();
}

async function onMeeting(form) {
  const lang = form.elements.lang.value;
  const title = checked(form.elements.title, Number(form.dataset.maxTitle) || 200);
  if (title === null) return;
  const place = checked(form.elements.place, Number(form.dataset.maxTitle) || 200);
  if (place === null) return;
  const start = form.elements.start.value.slice(0, 16);
  const end = form.elements.end.value.slice(0, 16);
  const tz = form.elements.tz.value.trim();
  if (!start || !end || !tz) return fail("when", form.elements.start);
  // Both are local times in the one zone, so their text orders them.
  if (end <= start) return fail("order", form.elements.end);
  const delegations = delegationsOf(form);
  if (delegations.length < 2) return fail("nobody");
  const agenda = [];
  for (const line of form.elements.agenda.value.split("\n")) {
    if (!line.trim()) continue;
    const problem = textProblem(line, maxOf(form));
    if (problem) {
      report(problem, { failed: true });
      form.elements.agenda.focus();
      return;
    }
    agenda.push({ text: line.trim(), lang });
  }
  const { round } = page();
  const meeting = newId();
  const parties = partiesOf(delegations, form.dataset.supervisor);
  const body = {
    round,
    meeting,
    title: [{ text: title, lang }],
    place: [{ text: place, lang }],
    start,
    end,
    tz,
    delegations,
    agenda,
  };
  report(say("signing"));
  await signAndAppend(MEETING, `dm/${meeting}`, parties, body);
  window.location.assign(`/diplomacy/m/${meeting}`);
}

async function onMeetingWrite(kind, body) {
  const { meeting, parties } = page();
  report(say("signing"));
  const done = await signAndAppend(kind, `dm/${meeting}`, parties, { meeting, ...body });
  report(say("sent", { n: done.index }));
  window.location.reload();
}

async function onSaid(form, kind) {
  const text = checked(form.elements.text, maxOf(form));
  if (text === null) return;
  await onMeetingWrite(kind, { text, lang: form.elements.lang.value });
}

async function onFollowup(form) {
  const text = checked(form.elements.text, maxOf(form));
  if (text === null) return;
  const body = {
    item: newId("f-"),
    text,
    lang: form.elements.lang.value,
    party: form.elements.party.value,
  };
  if (form.elements.due.value) body.due = form.elements.due.value;
  await onMeetingWrite(FOLLOWUP, body);
}

async function onClose(form) {
  const text = checked(form.elements.text, maxOf(form));
  if (text === null) return;
  await onMeetingWrite(CLOSED, { item: form.dataset.item, text, lang: form.elements.lang.value });
}

const HANDLERS = {
  round: onRound,
  revise: onRevise,
  next: onNext,
  meeting: onMeeting,
  minutes: (f) => onSaid(f, MINUTES),
  outcome: (f) => onSaid(f, OUTCOME),
  followup: onFollowup,
  close: onClose,
};

/** The next round's date and "not yet scheduled" exclude each other: choosing one clears
 * the other, so what is signed is what the form shows. */
function onNextInput(ev) {
  const form = ev.target.closest("form[data-diplomacy=next]");
  if (!form) return;
  if (ev.target.name === "date" && ev.target.value) form.elements.unscheduled.checked = false;
  if (ev.target.name === "unscheduled" && ev.target.checked) form.elements.date.value = "";
}

function main() {
  if (!document.body.dataset.member) return;
  document.addEventListener("input", onNextInput);
  document.addEventListener("change", onNextInput);
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-diplomacy]");
    if (!form) return;
    ev.preventDefault();
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    Promise.resolve()
      .then(() => HANDLERS[form.dataset.diplomacy](form))
      .catch(refused)
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  });
  document.documentElement.dataset.diplomacy = "ready";
}

main();
