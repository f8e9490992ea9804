// Joint statements in the browser (docs/statements.md, "The pages"): drafting, new
// versions, comments on passages, approvals.
//
// Every write is a statement signed with this device's key (sign.js) and appended at
// /log/v1/append. An approval signs the SHA-256 of the RFC 8785 bytes of the texts this
// page shows, computed here (jcs.js), so a head of delegation signs what they read; it is
// refused here when it differs from the hash the server names. Passage offsets count
// Unicode code points, as the server does. No inline code (CSP script-src 'self').
import { canonicalBytes } from "./jcs.js";
import { signAndAppend } from "./sign.js";
import { newId, pageTools } from "./page.js";

const { say, report, refused, textProblem, checked } = pageTools("statements");

const CREATED = "statement.created";
const VERSION = "statement.version.proposed";
const COMMENT = "statement.comment.added";
const APPROVED = "statement.approved";

function hex(buf) {
  return [...new Uint8Array(buf)].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function page() {
  const d = document.getElementById("statements")?.dataset || {};
  return {
    statement: d.statement || "",
    parties: (d.parties || "").split(",").filter(Boolean),
    version: Number(d.version) || 0,
  };
}

/** {lang: text} from a form's text-LANG fields: the filled ones, checked; null if refused. */
function textsOf(form) {
  const max = Number(form.dataset.max) || 8000;
  const texts = {};
  for (const field of form.querySelectorAll("textarea[data-lang]")) {
    if (!field.value.trim()) continue;
    const text = checked(field, max);
    if (text === null) return null;
    texts[field.dataset.lang] = text;
  }
  if (Object.keys(texts).length === 0) {
    report(say("noText"), { failed: true });
    return null;
  }
  return texts;
}

/** The texts of the current version exactly as this page shows them. */
function shownTexts() {
  const texts = {};
  for (const el of document.querySelectorAll("#statements-current .statement-text[data-lang]")) {
    texts[el.dataset.lang] = el.textContent;
  }
  return texts;
}

async function shownHash() {
  return hex(await crypto.subtle.digest("SHA-256", canonicalBytes(shownTexts())));
}

async function write(kind, body) {
  const { statement, parties } = page();
  report(say("signing"));
  const done = await signAndAppend(kind, `s/${statement}`, parties, { statement, ...body });
  report(say("sent", { n: done.index }));
  window.location.reload();
}

async function onCreate(form) {
  const title = checked(form.elements.title, Number(form.dataset.maxTitle) || 200);
  if (title === null) return;
  const texts = textsOf(form);
  if (texts === null) return;
  const parties = form.elements.parties.value.split(",").filter(Boolean);
  const statement = newId();
  const body = { statement, parties, title, lang: form.elements.lang.value, texts };
  if (form.elements.round.value) body.round = form.elements.round.value;
  report(say("signing"));
  await signAndAppend(CREATED, `s/${statement}`, parties, body);
  window.location.assign(`/statements/s/${statement}`);
}

async function onPropose(form) {
  const texts = textsOf(form);
  if (texts === null) return;
  await write(VERSION, { base: Number(form.dataset.base), texts });
}

async function onApprove() {
  const sha256 = await shownHash();
  const server = document.getElementById("statements-hash-server")?.textContent.trim();
  if (sha256 !== server) {
    report(say("mismatch"), { failed: true });
    return;
  }
  await write(APPROVED, { version: page().version, sha256 });
}

// ---- passages ------------------------------------------------------------------------------

/** Code points in the first `units` UTF-16 units of `text`. */
function codePoints(text, units) {
  return Array.from(text.slice(0, units)).length;
}

/** The passage in `text` from code point `start` to `end`, or null when out of range. */
function passageOf(text, start, end) {
  const cps = Array.from(text);
  if (!(Number.isInteger(start) && Number.isInteger(end)) || start < 0 || end <= start) return null;
  if (end > cps.length) return null;
  return cps.slice(start, end).join("");
}

function textFor(lang) {
  return document.querySelector(`#statements-current .statement-text[data-lang="${lang}"]`);
}

function fillQuote(form) {
  const el = textFor(form.elements.passage_lang.value);
  const start = Number.parseInt(form.elements.start.value, 10);
  const end = Number.parseInt(form.elements.end.value, 10);
  form.elements.quote.value = (el && passageOf(el.textContent, start, end)) || "";
  if (el) form.elements.quote.lang = form.elements.passage_lang.value;
}

/** A selection inside one language's text fills the comment form's passage. */
function onSelection() {
  const form = document.getElementById("statements-comment-form");
  const sel = window.getSelection();
  if (!form || !sel || sel.rangeCount === 0 || sel.isCollapsed) return;
  const range = sel.getRangeAt(0);
  const el = range.commonAncestorContainer.nodeType === Node.ELEMENT_NODE
    ? range.commonAncestorContainer.closest(".statement-text[data-lang]")
    : range.commonAncestorContainer.parentElement?.closest(".statement-text[data-lang]");
  if (!el || !el.closest("#statements-current")) return;
  const before = document.createRange();
  before.selectNodeContents(el);
  before.setEnd(range.startContainer, range.startOffset);
  const text = el.textContent;
  const u0 = before.toString().length;
  const u1 = u0 + range.toString().length;
  form.elements.passage_lang.value = el.dataset.lang;
  form.elements.start.value = String(codePoints(text, u0));
  form.elements.end.value = String(codePoints(text, u1));
  fillQuote(form);
}

async function onComment(form) {
  const lang = form.elements.passage_lang.value;
  const el = textFor(lang);
  const start = Number.parseInt(form.elements.start.value, 10);
  const end = Number.parseInt(form.elements.end.value, 10);
  if (Number.isNaN(start) || Number.isNaN(end)) {
    report(say("select"), { failed: true });
    return;
  }
  const quote = el ? passageOf(el.textContent, start, end) : null;
  if (!quote) {
    report(say("offsets"), { failed: true });
    form.elements.start.focus();
    return;
  }
  const text = checked(form.elements.text, Number(form.dataset.max) || 8000);
  if (text === null) return;
  await write(COMMENT, {
    version: page().version,
    passage: { lang, start, end, quote },
    text,
    lang: form.elements.lang.value,
  });
}

const HANDLERS = { create: onCreate, propose: onPropose, approve: onApprove, comment: onComment };

async function showHash() {
  const out = document.getElementById("statements-hash");
  if (out) out.textContent = await shownHash();
}

function main() {
  if (!document.body.dataset.member) return;
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-statements]");
    if (!form) return;
    ev.preventDefault();
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    HANDLERS[form.dataset.statements](form)
      .catch(refused)
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  });
  const comment = document.getElementById("statements-comment-form");
  if (comment) {
    document.addEventListener("selectionchange", onSelection);
    for (const name of ["passage_lang", "start", "end"]) {
      comment.elements[name].addEventListener("input", () => fillQuote(comment));
    }
  }
  showHash()
    .catch(refused)
    .finally(() => {
      document.documentElement.dataset.statements = "ready";
    });
}

main();
