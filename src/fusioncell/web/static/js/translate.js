// Translations beside originals, on every signed-in page (docs/translation.md), and the
// glossary page's forms.
//
// A page marks a text it shows with data-entry (its log index) and data-field (which text
// of the entry: fusioncell.language.fields).
// All marked texts of a page are asked for in one call, GET /api/v1/translations, which
// reads each original from the log for this reader (never from the page), and answers
// with the verified translation, else a machine one, else why none. The box under each
// original says which it is; the original stays the authoritative text.
// Every visible text comes from data- attributes (#translate-strings, translation.html).
import { api } from "./device.js";
import { signAndAppend } from "./sign.js";

const VERIFIED = "translation.verified";
const PROPOSED = "glossary.term.proposed";
const AGREED = "glossary.term.agreed";
const RTL = new Set(["ar", "he", "fa", "ur"]);
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
const FSI = "\u2068";
const PDI = "\u2069";
const BATCH = 100; // the API's limit per call

function strings() {
  return document.getElementById("translate-strings")?.dataset || {};
}

function say(key, values = {}) {
  let s = strings()[key] ?? "";
  for (const [k, v] of Object.entries(values)) s = s.split(`{${k}}`).join(FSI + String(v) + PDI);
  return s;
}

function langName(code) {
  return strings()[`lang${code.charAt(0).toUpperCase()}${code.slice(1)}`] || code;
}

function partyName(code) {
  const key = `party${code.charAt(0).toUpperCase()}${code.slice(1).toLowerCase()}`;
  return strings()[key] || code;
}

function readerLang() {
  return document.documentElement.lang || "en";
}

// ---- which texts a page shows ------------------------------------------------------------

function targets(root) {
  const lang = readerLang();
  return [...root.querySelectorAll("[data-entry][data-field]:not([data-translated])")].filter(
    (el) => {
      if (!/^[1-9][0-9]*$/.test(el.dataset.entry) || !/^[a-z][a-z0-9_]*$/.test(el.dataset.field)) {
        return false;
      }
      // A text already in the reader's language needs nothing beside it.
      const own = el.getAttribute("lang") || el.querySelector("[lang]")?.getAttribute("lang");
      if (own === lang) {
        el.dataset.translated = "same";
        return false;
      }
      return true;
    },
  );
}

// ---- drawing -------------------------------------------------------------------------------

/** Text with the glossary's terms marked (spans are UTF-16 offsets, from the server). */
function withTerms(text, spans) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const s of spans || []) {
    if (s.start < at || s.end > text.length) continue;
    frag.append(text.slice(at, s.start));
    const mark = document.createElement("mark");
    mark.className = "term";
    mark.dataset.term = s.term;
    const eq = Object.entries(s.equivalents)
      .map(([l, t]) => `${langName(l)}: ${t}`)
      .join(" · ");
    mark.title = say("term", { equivalents: eq }).replace(/[\u2068\u2069]/gu, "");
    mark.textContent = text.slice(s.start, s.end);
    frag.append(mark);
    at = s.end;
  }
  frag.append(text.slice(at));
  return frag;
}

function bdi(text, lang, spans) {
  const b = document.createElement("bdi");
  b.lang = lang;
  b.dir = RTL.has(lang) ? "rtl" : "ltr";
  b.append(withTerms(text, spans));
  return b;
}

function provenance(item) {
  const t = item.translation;
  if (t.provenance === "verified") {
    let s = say("verified", { member: t.by.member, party: partyName(t.by.party) });
    if (item.superseded) s += ` (${say("superseded", { n: item.superseded })})`;
    return s;
  }
  return say("machine", { engine: t.engine });
}

/** The original's own text, with its terms marked, where the page shows it unchanged. */
function markOriginal(el, item) {
  const inner = el.matches("bdi") ? el : el.querySelector("bdi") || el;
  if (!item.original.terms.length || inner.textContent !== item.original.text) return;
  inner.replaceChildren(withTerms(item.original.text, item.original.terms));
  inner.title = say("original");
}

function boxFor(el) {
  const id = `tr-${el.dataset.entry}-${el.dataset.field}`;
  let box = document.getElementById(id);
  if (!box) {
    box = document.createElement("div");
    box.id = id;
    box.className = "translation";
    const block = el.closest("p");
    if (block) block.after(box);
    else el.after(box);
  }
  return box;
}

function draw(el, item, mayTranslate) {
  el.dataset.translated = "done";
  markOriginal(el, item);
  const box = boxFor(el);
  box.replaceChildren();
  box.dataset.entry = String(item.entry);
  box.dataset.field = item.field;
  const head = document.createElement("p");
  head.className = "small muted provenance";
  const t = item.translation;
  if (t) {
    box.dataset.provenance = t.provenance;
    head.textContent = provenance(item);
    box.append(head);
    const p = document.createElement("p");
    p.className = "translated";
    p.append(bdi(t.text, t.lang, t.terms));
    box.append(p);
    // A verified translation is a signed entry: a party that disputes it cites it.
    if (t.provenance === "verified" && t.by && strings().mayDispute === "true") {
      const a = document.createElement("a");
      a.className = "dispute-translation small";
      a.href = `/disputes/new?about=${encodeURIComponent(String(t.by.index))}`;
      a.textContent = say("dispute");
      const d = document.createElement("p");
      d.append(a);
      box.append(d);
    }
    if (t.not_enforced && t.not_enforced.length) {
      const n = document.createElement("p");
      n.className = "small muted";
      n.textContent = say("notEnforced");
      box.append(n);
    }
  } else {
    box.dataset.provenance = "none";
    box.dataset.reason = item.reason || "";
    const key = { none: "none", unsupported: "unsupported" }[item.reason] || "unavailable";
    head.textContent = say(key);
    box.append(head);
  }
  if (mayTranslate) box.append(signForm(el, item));
}

// ---- signing a verified translation -------------------------------------------------------

function textProblem(value) {
  const s = value.trim();
  if (!s) return document.getElementById("cell-strings")?.dataset.empty || "empty";
  for (const ch of s) {
    if (BIDI.test(ch) || CONTROL.test(ch)) {
      const code = `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
      const key = BIDI.test(ch) ? "bidi" : "control";
      return (document.getElementById("cell-strings")?.dataset[key] || code).split("{code}").join(code);
    }
  }
  return null;
}

function signForm(el, item) {
  const lang = readerLang();
  const id = `tr-${item.entry}-${item.field}-text`;
  const details = document.createElement("details");
  details.className = "sign-translation";
  const summary = document.createElement("summary");
  summary.textContent = say("sign");
  const form = document.createElement("form");
  form.noValidate = true;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = say("signInto", { language: langName(lang) });
  const area = document.createElement("textarea");
  area.id = id;
  area.name = "text";
  area.rows = 3;
  area.lang = lang;
  area.dir = RTL.has(lang) ? "rtl" : "ltr";
  area.value = item.translation ? item.translation.text : "";
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = say("signButton");
  const status = document.createElement("p");
  status.className = "small";
  status.setAttribute("role", "status");
  form.append(label, area, button, status);
  details.append(summary, form);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const problem = textProblem(area.value);
    if (problem) {
      status.textContent = problem;
      area.focus();
      return;
    }
    button.disabled = true;
    try {
      const body = {
        entry: item.entry,
        field: item.field,
        lang,
        text: area.value.trim(),
        of_sha256: item.original.sha256,
      };
      const done = await signAndAppend(VERIFIED, `tr/${item.entry}`, item.visibility, body);
      status.textContent = say("signed", { n: done.index });
      delete el.dataset.translated;
      await translate([el]);
    } catch (err) {
      status.textContent = `${say("failed")} ${err.message || err}`;
      button.disabled = false;
    }
  });
  return details;
}

// ---- asking the server ---------------------------------------------------------------------

async function translate(els) {
  const lang = readerLang();
  for (let i = 0; i < els.length; i += BATCH) {
    const chunk = els.slice(i, i + BATCH);
    for (const el of chunk) el.dataset.translated = "pending";
    const q = new URLSearchParams({ to: lang });
    const keys = [...new Set(chunk.map((el) => `${el.dataset.entry}:${el.dataset.field}`))];
    for (const k of keys) q.append("t", k);
    try {
      const data = await api(`/api/v1/translations?${q}`);
      const may = data.may_translate && strings().mayTranslate === "true";
      const byKey = new Map(data.items.map((it) => [`${it.entry}:${it.field}`, it]));
      for (const el of chunk) {
        const item = byKey.get(`${el.dataset.entry}:${el.dataset.field}`);
        if (item) draw(el, item, may);
      }
    } catch (err) {
      console.warn("translate: not loaded:", err);
      for (const el of chunk) el.dataset.translated = "failed";
    }
  }
  document.documentElement.dataset.translate = "ready";
}

function scan() {
  const found = targets(document);
  if (found.length) translate(found);
  else document.documentElement.dataset.translate = "ready";
}

// ---- the glossary page ---------------------------------------------------------------------

function glossaryStatus(message, failed = false) {
  const el = document.getElementById("glossary-status");
  if (!el) return;
  el.textContent = message;
  el.dataset.state = failed ? "failed" : "ok";
}

async function onGlossary(form) {
  const parties = (document.getElementById("glossary")?.dataset.parties || "")
    .split(",")
    .filter(Boolean);
  const term = form.dataset.term || form.elements.term.value.trim();
  if (!/^[a-z0-9][a-z0-9-]{1,63}$/.test(term)) {
    glossaryStatus(document.getElementById("glossary-strings")?.dataset.termId || "", true);
    form.elements.term?.focus();
    return;
  }
  if (form.dataset.glossary === "agree") {
    await signAndAppend(AGREED, `g/${term}`, parties, {
      term,
      version: Number(form.dataset.version),
    });
  } else {
    const texts = {};
    for (const input of form.querySelectorAll("input[name^='text-']")) {
      const problem = textProblem(input.value);
      if (problem) {
        glossaryStatus(problem, true);
        input.focus();
        return;
      }
      texts[input.name.slice(5)] = input.value.trim();
    }
    const body = { term, texts };
    const note = form.elements.note.value.trim();
    if (note) {
      const problem = textProblem(note);
      if (problem) {
        glossaryStatus(problem, true);
        form.elements.note.focus();
        return;
      }
      body.note = { text: note, lang: form.elements.note_lang.value };
    }
    await signAndAppend(PROPOSED, `g/${term}`, parties, body);
  }
  window.location.reload();
}

function main() {
  if (!document.body.dataset.member) return;
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-glossary]");
    if (!form) return;
    ev.preventDefault();
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    onGlossary(form)
      .catch((err) => {
        console.warn("glossary: refused:", err);
        const refused = document.getElementById("cell-strings")?.dataset.refused || "";
        glossaryStatus(`${refused} ${err.message || err}`, true);
      })
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  });
  scan();
  // Live pages draw their content again (cell.js): translate what appears.
  let pending = null;
  new MutationObserver(() => {
    clearTimeout(pending);
    pending = setTimeout(scan, 50);
  }).observe(document.getElementById("main") || document.body, { childList: true, subtree: true });
}

main();
