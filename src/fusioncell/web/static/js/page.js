// What every page's script shares (the cell, duty, line, intelligence, de-escalation,
// commerce, disputes, understandings, diplomacy, statements): its texts from data-
// attributes, the status line, and the checks the log makes on a person's text, run
// before signing so a refusal is explained in the reader's language.
//
// pageTools("disputes") reads #disputes-strings (else #cell-strings, base.html) and writes
// to #disputes-status; options name other elements (`strings`, `status`), and `clearAfter`
// (ms) clears a success from the status line after a while.

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

export function pageTools(
  area,
  { strings = [`${area}-strings`, "cell-strings"], status = `${area}-status`, clearAfter = 0 } = {},
) {
  /** The page's texts: the data- attributes of `strings`, the first one's first. */
  function texts() {
    const out = {};
    for (const id of [...strings].reverse()) Object.assign(out, document.getElementById(id)?.dataset || {});
    return out;
  }

  /** A text of the page with its {placeholders} filled in, each value isolated. */
  function say(key, values = {}) {
    let s = texts()[key] ?? "";
    for (const [k, v] of Object.entries(values)) s = s.split(`{${k}}`).join(FSI + String(v) + PDI);
    return s;
  }

  let timer = null;

  /** Tell the member, in the page's live region. */
  function report(message, { failed = false, detail = "" } = {}) {
    const el = document.getElementById(status);
    if (!el) return;
    clearTimeout(timer);
    el.textContent = message;
    if (detail) {
      // The server's words (problem+json `detail`), isolated from the page's direction.
      const b = document.createElement("bdi");
      b.textContent = detail;
      el.append(" ", b);
    }
    el.dataset.state = failed ? "failed" : "ok";
    el.classList.toggle("failed", failed);
    if (!failed && clearAfter > 0) {
      timer = setTimeout(() => {
        el.textContent = "";
        delete el.dataset.state;
      }, clearAfter);
    }
  }

  function refused(err) {
    console.warn(`${area}: refused:`, err);
    report(say("refused"), { failed: true, detail: err.message || String(err) });
  }

  /** Why the log would refuse this text, in the reader's language; null when it is fine
   * (an empty text is fine where it is not `required`). */
  function textProblem(value, max, { required = true } = {}) {
    const s = value.trim();
    if (!s) return required ? say("empty") : null;
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

  return { texts, say, report, refused, textProblem, checked };
}
