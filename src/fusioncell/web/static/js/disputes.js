// Disputes in the browser (docs/disputes.md, "The pages"): raising a dispute, answering,
// further statements, the supervisor's mediation (opening it, findings, proposals,
// recording the dispute resolved), accepting or rejecting a proposal, withdrawing and
// referring.
//
// Every write is a statement signed with this device's key (sign.js) and appended at
// /log/v1/append. After a write the page is loaded again (a new dispute opens its own
// page). No inline code (CSP script-src 'self'); every visible text comes from data-
// attributes.
import { signAndAppend } from "./sign.js";
import { newId, pageTools } from "./page.js";

const { say, report, refused, textProblem, checked } = pageTools("disputes");

const RAISED = "dispute.raised";
const ANSWERED = "dispute.answered";
const STATEMENT = "dispute.statement.made";
const MEDIATION = "dispute.mediation.opened";
const FINDING = "dispute.finding.recorded";
const PROPOSED = "dispute.resolution.proposed";
const ACCEPTED = "dispute.resolution.accepted";
const REJECTED = "dispute.resolution.rejected";
const RESOLVED = "dispute.resolved";
const WITHDRAWN = "dispute.withdrawn";
const REFERRED = "dispute.referred";

/** An optional text: {} when empty, {text, lang} when given, null when refused. */
function optional(form) {
  const field = form.elements.text;
  if (!field || !field.value.trim()) return {};
  const text = checked(field, Number(form.dataset.max) || 8000);
  if (text === null) return null;
  return { text, lang: form.elements.lang.value };
}

function disputePage() {
  const d = document.getElementById("disputes")?.dataset || {};
  return { dispute: d.dispute || "", parties: (d.parties || "").split(",").filter(Boolean) };
}

async function write(kind, body) {
  const { dispute, parties } = disputePage();
  report(say("signing"));
  const done = await signAndAppend(kind, `d/${dispute}`, parties, { dispute, ...body });
  report(say("sent", { n: done.index }));
  window.location.reload();
}

// ---- the forms -----------------------------------------------------------------------------

async function onRaise(form) {
  const max = Number(form.dataset.max) || 8000;
  const title = checked(form.elements.title, Number(form.dataset.maxTitle) || 200);
  if (title === null) return;
  const account = checked(form.elements.account, max);
  if (account === null) return;
  const request = checked(form.elements.request, max);
  if (request === null) return;
  const most = Number(form.dataset.maxCites) || 20;
  const parts = form.elements.cites.value.split(/[\s,،]+/u).filter(Boolean);
  if (parts.some((p) => !/^\d+$/.test(p)) || parts.length > most) {
    report(say("cites", { n: most }), { failed: true });
    form.elements.cites.focus();
    return;
  }
  const cites = [...new Set(parts.map(Number))].sort((a, b) => a - b);
  const understanding = form.elements.understanding.value;
  if (!cites.length && !understanding) {
    report(say("about"), { failed: true });
    form.elements.cites.focus();
    return;
  }
  const parties = form.elements.parties.value.split(",").filter(Boolean);
  const dispute = newId();
  const body = {
    dispute,
    parties,
    title,
    account,
    request,
    lang: form.elements.lang.value,
    cites,
  };
  if (understanding) body.understanding = understanding;
  report(say("signing"));
  await signAndAppend(RAISED, `d/${dispute}`, parties, body);
  window.location.assign(`/disputes/d/${dispute}`);
}

async function said(form, kind) {
  const text = checked(form.elements.text, Number(form.dataset.max) || 8000);
  if (text === null) return;
  await write(kind, { text, lang: form.elements.lang.value });
}

async function onNoted(form, kind, extra = {}) {
  const body = optional(form);
  if (body === null) return;
  await write(kind, { ...extra, ...body });
}

async function onFinding(form) {
  const text = checked(form.elements.text, Number(form.dataset.max) || 8000);
  if (text === null) return;
  await write(FINDING, { finding: form.elements.finding.value, text, lang: form.elements.lang.value });
}

function proposalOf(form) {
  return Number(form.dataset.proposal);
}

async function onReject(form) {
  const field = form.elements.text;
  if (!field.value.trim()) {
    report(say("reason"), { failed: true });
    field.focus();
    return;
  }
  const reason = checked(field, Number(form.dataset.max) || 8000);
  if (reason === null) return;
  await write(REJECTED, { proposal: proposalOf(form), reason, lang: form.elements.lang.value });
}

async function onRefer(form) {
  const field = form.elements.text;
  if (!field.value.trim()) {
    report(say("reason"), { failed: true });
    field.focus();
    return;
  }
  const reason = checked(field, Number(form.dataset.max) || 8000);
  if (reason === null) return;
  await write(REFERRED, { to: form.elements.to.value, reason, lang: form.elements.lang.value });
}

const HANDLERS = {
  raise: onRaise,
  answer: (f) => said(f, ANSWERED),
  state: (f) => said(f, STATEMENT),
  mediate: (f) => onNoted(f, MEDIATION),
  finding: onFinding,
  propose: (f) => said(f, PROPOSED),
  accept: (f) => write(ACCEPTED, { proposal: proposalOf(f) }),
  reject: onReject,
  resolve: (f) => onNoted(f, RESOLVED, { proposal: proposalOf(f) }),
  withdraw: (f) => onNoted(f, WITHDRAWN),
  refer: onRefer,
};

function main() {
  if (!document.body.dataset.member) return;
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-disputes]");
    if (!form) return;
    ev.preventDefault();
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    HANDLERS[form.dataset.disputes](form)
      .catch(refused)
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  });
  document.documentElement.dataset.disputes = "ready";
}

main();
