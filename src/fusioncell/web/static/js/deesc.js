// De-escalation in the browser (docs/deescalation.md, "The pages"): the forms of /deesc and
// of an item's page. Every write is a statement signed with this device's key (sign.js) and
// appended at /log/v1/append, visible to every party of the cell; the log checks it again
// (places, time windows, texts) and its refusal is shown as it says. After a write the page
// loads again (a new incident or notification opens its own page).
// No inline code (CSP script-src 'self'); every visible text comes from data- attributes.
import { pageTools } from "./page.js";
import { signAndAppend } from "./sign.js";

const SUBJECTS = {
  "deesc.incident.reported": "deesc/incidents",
  "deesc.activity.notified": "deesc/activities",
  "deesc.clarification.requested": "deesc/clarifications",
  "deesc.clarification.answered": "deesc/clarifications",
};

const { say, report } = pageTools("deesc");

class Problem extends Error {}

function refused(err) {
  console.warn("deesc: refused:", err);
  const detail = err.message || String(err);
  if (err instanceof Problem) report(detail, { failed: true });
  else report(say("refused"), { failed: true, detail });
}

function visibility() {
  return document.getElementById("deesc").dataset.visibility.split(",");
}

/** A datetime-local value, read as UTC, in the log's form. */
function utc(value) {
  return value.length === 16 ? `${value}:00Z` : value;
}

function lines(value) {
  return value
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The place: a GeoJSON geometry pasted, else a point from longitude and latitude. The
 * numbers go as typed: the log says clearly when one is out of range. */
function place(f) {
  const raw = f.elements.geometry.value.trim();
  if (raw) {
    try {
      return JSON.parse(raw);
    } catch {
      throw new Problem(say("geojson"));
    }
  }
  const lon = f.elements.lon.value;
  const lat = f.elements.lat.value;
  if (lon === "" || lat === "") throw new Problem(say("place"));
  return { type: "Point", coordinates: [Number(lon), Number(lat)] };
}

async function write(kind, body) {
  return signAndAppend(kind, SUBJECTS[kind], visibility(), body);
}

async function onIncident(f) {
  const body = {
    time: utc(f.elements.time.value),
    time_precision: f.elements.time_precision.value,
    place: place(f),
    place_precision_m: Number(f.elements.place_precision_m.value || 100),
    category: f.elements.category.value,
    actors: lines(f.elements.actors.value),
    description: f.elements.description.value,
    lang: f.elements.lang.value,
    sources: lines(f.elements.sources.value),
  };
  const killed = f.elements.killed.value;
  const injured = f.elements.injured.value;
  if (killed !== "" || injured !== "") {
    body.casualties = {};
    if (killed !== "") body.casualties.killed = Number(killed);
    if (injured !== "") body.casualties.injured = Number(injured);
  }
  const done = await write("deesc.incident.reported", body);
  location.assign(`/deesc/items/${done.index}`);
}

async function onActivity(f) {
  const done = await write("deesc.activity.notified", {
    activity_type: f.elements.activity_type.value,
    start: utc(f.elements.start.value),
    end: utc(f.elements.end.value),
    place: place(f),
    description: f.elements.description.value,
    lang: f.elements.lang.value,
  });
  location.assign(`/deesc/items/${done.index}`);
}

async function onClarify(f) {
  await write("deesc.clarification.requested", {
    about: Number(document.getElementById("deesc").dataset.index),
    question: f.elements.question.value,
    lang: f.elements.lang.value,
  });
  location.reload();
}

async function onAnswer(f) {
  await write("deesc.clarification.answered", {
    request: Number(f.dataset.request),
    answer: f.elements.answer.value,
    lang: f.elements.lang.value,
  });
  location.reload();
}

const HANDLERS = { incident: onIncident, activity: onActivity, clarify: onClarify, answer: onAnswer };

function main() {
  if (!document.body.dataset.member) return;
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-deesc]");
    if (!form) return;
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    HANDLERS[form.dataset.deesc](form)
      .catch(refused)
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
  document.documentElement.dataset.deesc = "ready";
}

main();
