// Intelligence sharing in the browser (docs/intelligence.md, "The pages"): issuing a report,
// asking another party for information and answering, assessing a report, widening its
// release and releasing a tear-line summary.
//
// Every write is a statement signed with this device's key (sign.js) and appended at
// /log/v1/append; its visibility is the report's releasability. The log checks everything
// again. No inline code (CSP script-src 'self'); visible texts come from #cell-strings.
import { hex } from "./device.js";
import { pageTools } from "./page.js";
import { signAndAppend } from "./sign.js";

const ISSUED = "intel.report.issued";
const CORRECTED = "intel.report.corrected";
const SUMMARY = "intel.summary.released";
const WIDENED = "intel.release.widened";
const ASSESSED = "intel.report.assessed";
const RFI_REQUESTED = "intel.rfi.requested";
const RFI_ANSWERED = "intel.rfi.answered";

const { say, report } = pageTools("intel");

/** A new id for a report or a request: 16 hex digits. */
function newId() {
  return hex(crypto.getRandomValues(new Uint8Array(8)));
}

/** datetime-local (read as UTC, as the form says) -> the log's time form. */
function utc(value) {
  return value ? `${value.length === 16 ? `${value}:00` : value}.000Z` : "";
}

function sorted(parties) {
  return [...new Set(parties)].sort();
}

/** Sign, append, then reload `then` (or this page); a refusal stays on screen. */
function signed(form, build) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    let parts;
    try {
      parts = await build(form.elements);
    } catch (err) {
      report(say("refused"), { failed: true, detail: err.message });
      return;
    }
    button.disabled = true;
    report(say("signing"));
    try {
      let got = null;
      for (const [kind, subject, vis, body] of parts.writes) got = await signAndAppend(kind, subject, vis, body);
      report(say("sent", { n: got.index }));
      window.location.assign(parts.then || window.location.pathname);
    } catch (err) {
      report(say("refused"), { failed: true, detail: err.message });
      button.disabled = false;
    }
  });
}

function checked(form) {
  return [...form.querySelectorAll("input[name=rel]:checked")].map((i) => i.value);
}

/** A report's text as the issue and correction forms hold it. */
function content(el, id) {
  const body = {
    report: id,
    title: el.title.value,
    summary: el.summary.value,
    body: el.body.value,
    lang: el.lang.value,
    window: { start: utc(el.start.value), end: utc(el.end.value) },
    grading: { source: el.source.value, info: Number(el.info.value) },
  };
  const places = el.places.value.trim();
  if (places) {
    const parsed = JSON.parse(places); // a SyntaxError is shown as the refusal
    body.places = Array.isArray(parsed) ? parsed : [parsed];
  }
  return body;
}

function issueForm(form) {
  signed(form, (el) => {
    const id = newId();
    const rel = sorted([...form.dataset.fixed.split(",").filter(Boolean), ...checked(form)]);
    const body = { ...content(el, id), releasability: rel };
    return { writes: [[ISSUED, `intel/${id}`, rel, body]], then: `/intel/r/${id}` };
  });
}

function rfiForm(form) {
  signed(form, (el) => {
    const id = newId();
    const me = document.body.dataset.party;
    const vis = sorted([me, el.to.value, form.dataset.supervisor].filter(Boolean));
    return {
      writes: [
        [RFI_REQUESTED, `rfi/${id}`, vis, { rfi: id, to: el.to.value, text: el.text.value, lang: el.lang.value, urgency: el.urgency.value }],
      ],
    };
  });
}

function answerForm(form) {
  signed(form, (el) => {
    const id = form.dataset.rfi;
    const vis = form.dataset.visibility.split(",");
    return { writes: [[RFI_ANSWERED, `rfi/${id}`, vis, { rfi: id, report: el.report.value }]] };
  });
}

function reportForms(article) {
  const id = article.dataset.report;
  const rel = (article.dataset.releasability || "").split(",").filter(Boolean);
  const subject = `intel/${id}`;
  const assess = document.getElementById("intel-assess");
  if (assess) {
    signed(assess, (el) => ({
      writes: [
        [ASSESSED, subject, rel, {
          report: id,
          assessment: el.assessment.value,
          grading: { source: el.source.value, info: Number(el.info.value) },
          text: el.text.value,
          lang: el.lang.value,
        }],
      ],
    }));
  }
  const correct = document.getElementById("intel-correct");
  if (correct) signed(correct, (el) => ({ writes: [[CORRECTED, subject, rel, content(el, id)]] }));
  const widen = document.getElementById("intel-widen");
  if (widen) {
    // The release carries the current version, exactly as signed, so that the parties
    // newly released to can verify in the log what they are given (docs/intelligence.md).
    signed(widen, async () => {
      const to = sorted([...rel, ...checked(widen)]);
      const r = await fetch(`/api/v1/intel/reports/${id}/body`, { headers: { Accept: "application/json" } });
      if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || r.statusText);
      const full = await r.json();
      const v = full.versions[full.versions.length - 1];
      const content = { title: v.title, summary: v.summary, body: v.body, lang: v.lang, window: v.window, grading: { source: v.grading.source, info: v.grading.info } };
      if (v.places.length) content.places = v.places;
      if (v.attachments.length) content.attachments = v.attachments;
      return { writes: [[WIDENED, subject, to, { report: id, releasability: to, version: full.version, content }]] };
    });
  }
  const tear = document.getElementById("intel-tearline");
  if (tear) {
    signed(tear, (el) => {
      const to = tear.dataset.all.split(",");
      return {
        writes: [[SUMMARY, subject, to, { report: id, title: el.title.value, text: el.text.value, lang: el.lang.value, withheld: true }]],
      };
    });
  }
}

function main() {
  const issue = document.getElementById("intel-issue");
  if (issue) issueForm(issue);
  const rfi = document.getElementById("intel-rfi-form");
  if (rfi) rfiForm(rfi);
  for (const f of document.querySelectorAll("form.intel-answer")) answerForm(f);
  const article = document.getElementById("intel-report");
  if (article) reportForms(article);
  document.documentElement.dataset.intel = "ready";
}

main();
