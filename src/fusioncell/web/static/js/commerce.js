// Commercial opportunities in the browser (docs/commerce.md, "The pages"): proposing,
// revising, stating a party's interest, moving a proposal's stage.
//
// Every write is a statement signed with this device's key (sign.js) and appended at
// /log/v1/append; documents are uploaded first at /api/v1/cell/attachments and named by
// their hash. After a write the page is loaded again (a new proposal opens its own page).
// No inline code (CSP script-src 'self'); every visible text comes from data- attributes.
import { pageContext } from "./device.js";
import { signAndAppend } from "./sign.js";
import { newId, pageTools } from "./page.js";

const { say, report, refused, textProblem, checked } = pageTools("commerce");

const SUBMITTED = "commerce.proposal.submitted";
const REVISED = "commerce.proposal.revised";
const INTEREST = "commerce.interest.expressed";
const STAGE = "commerce.stage.changed";

async function upload(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  const r = await fetch("/api/v1/cell/attachments", {
    method: "POST",
    body: form,
    headers: { "X-CSRF-Token": pageContext().csrf, Accept: "application/json" },
    credentials: "same-origin",
  });
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (!r.ok) throw new Error((data && (data.detail || data.title)) || `HTTP ${r.status}`);
  return { sha256: data.sha256, name: file.name, type: data.type, size: data.size };
}

// ---- the forms -----------------------------------------------------------------------------

/** The proposal's content from a form (new or revision): checked as the log would check
 * it, documents uploaded; null when something must be fixed first (reported). */
async function content(form) {
  const max = Number(form.dataset.max) || 8000;
  const title = checked(form.elements.title, Number(form.dataset.maxTitle) || 200);
  if (title === null) return null;
  const description = checked(form.elements.description, max);
  if (description === null) return null;
  const partners = form.elements.partners.value
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const amount = form.elements.amount.value.trim();
  const currency = form.elements.currency.value.trim().toUpperCase();
  if (Boolean(amount) !== Boolean(currency)) {
    report(say("currency"), { failed: true });
    (amount ? form.elements.currency : form.elements.amount).focus();
    return null;
  }
  // Documents already named (a revision keeps those still ticked), then new uploads.
  const documents = [...form.querySelectorAll("input[name=keep]:checked")].map((i) => ({
    sha256: i.value,
    name: i.dataset.name,
    type: i.dataset.type,
    size: Number(i.dataset.size),
  }));
  for (const file of form.elements.documents.files) {
    report(say("uploading", { name: file.name }));
    documents.push(await upload(file));
  }
  const body = {
    sector: form.elements.sector.value,
    title,
    description,
    lang: form.elements.lang.value,
    partners,
    documents,
    understanding: form.elements.understanding.value,
  };
  if (amount) body.value = { amount: Number(amount), currency };
  return body;
}

async function onSubmit(form) {
  const body = await content(form);
  if (body === null) return;
  const parties = form.elements.parties.value.split(",").filter(Boolean);
  const proposal = newId();
  report(say("signing"));
  await signAndAppend(SUBMITTED, `c/${proposal}`, parties, { proposal, parties, ...body });
  window.location.assign(`/commerce/p/${proposal}`);
}

async function onRevise(form) {
  const body = await content(form);
  if (body === null) return;
  await write(REVISED, body);
}

function proposalPage() {
  const d = document.getElementById("commerce")?.dataset || {};
  return { proposal: d.proposal || "", parties: (d.parties || "").split(",").filter(Boolean) };
}

async function write(kind, body) {
  const { proposal, parties } = proposalPage();
  report(say("signing"));
  const done = await signAndAppend(kind, `c/${proposal}`, parties, { proposal, ...body });
  report(say("sent", { n: done.index }));
  window.location.reload();
}

async function onInterest(form) {
  const text = checked(form.elements.text, Number(form.dataset.max) || 8000);
  if (text === null) return;
  await write(INTEREST, { level: form.elements.level.value, text, lang: form.elements.lang.value });
}

async function onStage(form) {
  const stage = form.elements.stage.value;
  const body = { stage };
  const field = form.elements.text;
  if (field.value.trim() || stage === "declined") {
    if (!field.value.trim()) {
      report(say("reason"), { failed: true });
      field.focus();
      return;
    }
    const text = checked(field, Number(form.dataset.max) || 8000);
    if (text === null) return;
    body.text = text;
    body.lang = form.elements.lang.value;
  }
  await write(STAGE, body);
}

const HANDLERS = { submit: onSubmit, revise: onRevise, interest: onInterest, stage: onStage };

function main() {
  if (!document.body.dataset.member) return;
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-commerce]");
    if (!form) return;
    ev.preventDefault();
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    HANDLERS[form.dataset.commerce](form)
      .catch(refused)
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  });
  document.documentElement.dataset.commerce = "ready";
}

main();
