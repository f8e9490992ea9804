// What the pages of a workstream share (commerce, disputes, diplomacy, statements): their
// texts from data- attributes, the status line, and the checks the log makes on a
// person's text, run before signing so a refusal is explained in the reader's language.
//
// pageTools("disputes") reads #disputes-strings (else #cell-strings, base.html) and writes
// to #disputes-status.

// What the log refuses in a person's text (messaging/kinds.py check_text).
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
// Values put into a sentence are isolated from its direction.
export const FSI = "\u2068";
export const PDI = "\u2069";

function codeOf(ch) {
  return `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A new id: 16 hex digits, after `prefix`. */
export function newId(prefix = "") {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return prefix + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export function pageTools(area) {
  /** A text of the page: data-KEY of #AREA-strings, else of #cell-strings. */
  function say(key, values = {}) {
    const own = document.getElementById(`${area}-strings`)?.dataset || {};
    const cell = document.getElementById("cell-strings")?.dataset || {};
    let s = own[key] ?? cell[key] ?? "";
    for (const [k, v] of Object.entries(values)) s = s.split(`{${k}}`).join(FSI + String(v) + PDI);
    return s;
  }

  function report(message, { failed = false, detail = "" } = {}) {
    const el = document.getElementById(`${area}-status`);
    if (!el) return;
    el.textContent = message;
    if (detail) {
      // The server's words (problem+json `detail`), isolated from the page's direction.
      const b = document.createElement("bdi");
      b.textContent = detail;
      el.append(" ", b);
    }
    el.dataset.state = failed ? "failed" : "ok";
    el.classList.toggle("failed", failed);
  }

  function refused(err) {
    console.warn(`${area}: refused:`, err);
    report(say("refused"), { failed: true, detail: err.message || String(err) });
  }

  /** Why the log would refuse this text, in the reader's language; null when it is fine. */
  function textProblem(value, max) {
    const s = value.trim();
    if (!s) return say("empty");
    if ([...s].length > max) return say("tooLong", { n: max });
    for (const ch of s) {
      if (BIDI.test(ch)) return say("bidi", { code: codeOf(ch) });
      if (CONTROL.test(ch)) return say("control", { code: codeOf(ch) });
    }
    return null;
  }

  /** Stop before signing when a text would be refused; focuses the field. */
  function checked(field, max) {
    const problem = textProblem(field.value, max);
    if (problem) {
      report(problem, { failed: true });
      field.focus();
      return null;
    }
    return field.value.trim();
  }

  return { say, report, refused, textProblem, checked };
}
