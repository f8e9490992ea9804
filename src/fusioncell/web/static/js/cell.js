// The communication cell in the browser (docs/messaging.md, "The pages"), on every
// signed-in page:
//
// - the live stream (/api/v1/stream): entries as they are appended, resumed after the last
//   one seen, reconnecting with back-off;
// - the thread page: messages inserted or replaced live (the server renders each one, the
//   same macro as the page), composing, replying, acknowledging, editing, retracting and
//   pinning, read receipts;
// - the inbox and the home page: refreshed live; elsewhere an unread count in the menu;
// - FLASH: a banner on every page, a desktop notification and a sound, until the member's
//   party acknowledges.
//
// Every write is a statement signed with this device's key (sign.js). No inline code
// (CSP script-src 'self'); every visible text comes from the pages' data- attributes.
import { api, hex, pageContext } from "./device.js";
import { LiveSocket, socketUrl } from "./live.js";
import { pageTools } from "./page.js";
import { signAndAppend } from "./sign.js";

const THREAD_OPENED = "cell.thread.opened";
const POSTED = "cell.message.posted";
const EDITED = "cell.message.edited";
const RETRACTED = "cell.message.retracted";
const ACKNOWLEDGED = "cell.message.acknowledged";
const PINNED = "cell.message.pinned";
const UNPINNED = "cell.message.unpinned";
const ON_MESSAGE = new Set([EDITED, RETRACTED, ACKNOWLEDGED, PINNED, UNPINNED]);
const FLASH = "FLASH";
const RTL = new Set(["ar", "he", "fa", "ur"]);
const MAX_NAME = 200;

// ---- texts and the status line ----------------------------------------------------------

// The texts of #cell-strings, and the status line at the bottom of the page (#cell-status):
// a success is cleared after a while; a refusal stays until the next report.
const { texts, say, report, refused, textProblem } = pageTools("cell", { clearAfter: 8000 });

function bdi(text, lang) {
  const el = document.createElement("bdi");
  el.textContent = text;
  if (lang) {
    el.lang = lang;
    el.dir = RTL.has(lang) ? "rtl" : "ltr";
  }
  return el;
}

// The deadline engine's entries (subject "deadlines", body {items: [{refs: {thread, message}}]}).
const DEADLINE_KINDS = new Set(["system.deadline.missed", "system.escalation.notified"]);

// ---- countdowns --------------------------------------------------------------------------

function pad(n) {
  return String(n).padStart(2, "0");
}

function clockText(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Every .countdown[data-due] shows the time left, or how late it is; once a second. */
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll(".countdown[data-due]")) {
    const due = Date.parse(el.dataset.due);
    if (Number.isNaN(due)) continue;
    const left = Math.round((due - now) / 1000);
    const over = left < 0;
    const shown = `${over ? "-" : ""}${clockText(Math.abs(left))}`;
    if (el.dataset.shown === shown) continue;
    el.dataset.shown = shown;
    const [before, after = ""] = (texts()[over ? "overdue" : "left"] || "{t}").split("{t}");
    const time = document.createElement("bdi");
    time.dir = "ltr";
    time.textContent = clockText(Math.abs(left));
    el.replaceChildren(before, time, after);
    el.classList.toggle("overdue", over);
    if (over) el.closest(".ack, .owed-item")?.classList.add("overdue");
  }
}

// ---- the live stream ---------------------------------------------------------------------

const STREAM_CUTOFF = 4008;
const STREAM_BAD_AFTER = 4400;

/** /api/v1/stream: entries after `after`, then live; reconnects with back-off on any close,
 * resuming after the last entry seen (or the `cutoff` frame's resume point). Each entry is
 * also dispatched on the document as a "cell:entry" event, for the pages' own scripts
 * (line.js): one stream per page. */
class Stream extends LiveSocket {
  constructor(after, onEntry) {
    super();
    this.after = after;
    this.onEntry = onEntry;
    this.failures = 0;
  }

  url() {
    const u = socketUrl("/api/v1/stream");
    if (this.after !== null && this.after >= 0) u.searchParams.set("after", String(this.after));
    return u.href;
  }

  frame(f) {
    if (f.type === "entry") {
      this.after = f.index;
      try {
        this.onEntry(f);
      } catch (err) {
        console.warn("cell: live entry:", err);
      }
      document.dispatchEvent(new CustomEvent("cell:entry", { detail: f }));
    } else if (f.type === "ready" || f.type === "heartbeat") {
      // Every entry below `size` that this member may read has been sent.
      this.after = Math.max(this.after ?? -1, f.size - 1);
      this.settled();
      this.failures = 0;
      document.documentElement.dataset.live = "ready";
    } else if (f.type === "cutoff") {
      this.after = f.resume;
    }
  }

  onClose(ev) {
    document.documentElement.dataset.live = "closed";
    if (ev.code === STREAM_BAD_AFTER) this.after = null; // the log is not what we knew: start afresh
  }

  retryAfter(ev) {
    if (ev.code === STREAM_CUTOFF) return 100; // too slow for a moment: resume at once
    this.failures += 1;
    if (this.failures === 3) report(say("liveLost"), { failed: true });
    return this.backoff();
  }
}

// ---- reading the cell --------------------------------------------------------------------

/** A server-rendered fragment of our own pages, as an element (our HTML: no script, no
 * inline style, every user text already escaped and isolated). */
async function fragment(path) {
  const r = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) return null;
  const tpl = document.createElement("template");
  tpl.innerHTML = (await r.text()).trim();
  return tpl.content.firstElementChild;
}

const knownParties = new Map(); // thread -> its parties (= the visibility of its entries)

async function partiesOf(thread) {
  if (!knownParties.has(thread)) {
    const view = await api(`/api/v1/cell/threads/${encodeURIComponent(thread)}`);
    knownParties.set(thread, view.thread.parties);
  }
  return knownParties.get(thread);
}

/** Sign one entry about a message of a thread (ack, pin, edit, retract, post). */
async function signFor(kind, thread, body) {
  const parties = await partiesOf(thread);
  return signAndAppend(kind, `t/${thread}`, parties, { thread, ...body });
}

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
  if (!r.ok) {
    const err = new Error((data && (data.detail || data.title)) || `HTTP ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return data;
}

// ---- FLASH: banner, notification, sound ----------------------------------------------------

const ALERTED = "fusioncell-flash-alerted";

function alreadyAlerted(index) {
  try {
    const seen = JSON.parse(sessionStorage.getItem(ALERTED) || "[]");
    if (seen.includes(index)) return true;
    seen.push(index);
    sessionStorage.setItem(ALERTED, JSON.stringify(seen.slice(-200)));
  } catch {
    return false;
  }
  return false;
}

let audio = null;

/** Three short tones, made here with WebAudio (no file to download). A browser may keep
 * the sound off until the member has touched the page; the banner stays regardless. */
function beep() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return false;
  try {
    audio = audio || new Ctx();
    if (audio.state === "suspended") audio.resume().catch(() => null);
    const t0 = audio.currentTime + 0.02;
    [880, 660, 880].forEach((freq, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const start = t0 + i * 0.22;
      osc.type = "square";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    });
    return true;
  } catch (err) {
    console.warn("cell: sound:", err);
    return false;
  }
}

function resumeAudio() {
  if (audio && audio.state === "suspended") audio.resume().catch(() => null);
}

class Flash {
  constructor(el, hooks) {
    this.el = el;
    this.list = el.querySelector("#flash-items");
    this.notifyButton = el.querySelector("#flash-notify");
    this.items = new Map(); // message index -> {thread, li, message}
    this.hooks = hooks;
    this.party = pageContext().party;
    this.alerts = 0;
    const d = el.dataset;
    this.canAck = d.canAppend === "true";
    this.format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      dateStyle: "medium",
      timeStyle: "medium",
      timeZone: d.zone || undefined,
    });
    this.list.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-ack]");
      if (b) this.acknowledge(Number(b.dataset.ack), b);
    });
    if (this.notifyButton) {
      this.notifyButton.addEventListener("click", () => this.askPermission());
    }
  }

  async load() {
    const data = await api("/api/v1/cell/owed?urgency=FLASH");
    for (const m of data.messages) this.add(m, m.topic);
  }

  item(m, topic) {
    const d = this.el.dataset;
    const li = document.createElement("li");
    li.dataset.index = String(m.index);
    li.dataset.thread = m.thread;
    const badge = document.createElement("strong");
    badge.className = "badge u-FLASH";
    badge.textContent = d.flash;
    const number = document.createElement("span");
    number.dir = "ltr";
    number.textContent = `#${m.index}`;
    const who = document.createElement("span");
    who.dir = "ltr";
    who.textContent = `${m.member} (${m.party})`;
    const when = document.createElement("time");
    when.dateTime = m.time;
    when.textContent = this.format.format(new Date(m.time));
    li.append(badge, " ", number, ` · ${d.from} `, who, " · ", when);
    if (topic) li.append(" · ", bdi(topic.text, topic.lang));
    const text = bdi(m.text, m.lang);
    text.classList.add("flash-text");
    li.append(text);
    const actions = document.createElement("span");
    actions.className = "flash-actions";
    if (this.canAck) {
      const ack = document.createElement("button");
      ack.type = "button";
      ack.className = "primary";
      ack.dataset.ack = String(m.index);
      ack.textContent = d.acknowledge;
      actions.append(ack);
    }
    const open = document.createElement("a");
    open.href = `/cell/t/${encodeURIComponent(m.thread)}#m-${m.index}`;
    open.textContent = d.open;
    actions.append(open);
    if (m.ack && m.ack.due) {
      const due = document.createElement("span");
      due.className = "countdown";
      due.dataset.due = m.ack.due;
      actions.append(` · ${d.due} `, due);
    }
    li.append(actions);
    return li;
  }

  add(m, topic) {
    if (this.items.has(m.index)) return;
    const li = this.item(m, topic);
    this.items.set(m.index, { thread: m.thread, li, message: m });
    this.list.append(li);
    this.el.hidden = false;
    this.showNotifyButton();
    tick();
    if (!alreadyAlerted(m.index)) this.alert(m, topic);
  }

  remove(index) {
    const it = this.items.get(index);
    if (!it) return;
    const hadFocus = it.li.contains(document.activeElement);
    it.li.remove();
    this.items.delete(index);
    if (this.items.size === 0) this.el.hidden = true;
    if (hadFocus) {
      // Keyboard users keep their place: the next FLASH, else the page's content.
      const next = this.list.querySelector("button[data-ack]");
      (next || document.getElementById("main"))?.focus();
    }
  }

  alert(m, topic) {
    this.alerts += 1;
    this.el.dataset.alerts = String(this.alerts);
    if (beep()) this.el.dataset.sounded = String(this.alerts);
    this.notify(m, topic);
  }

  notify(m, topic) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const n = new Notification(this.el.dataset.notificationTitle, {
        body: `${m.member} (${m.party})${topic ? ` · ${topic.text}` : ""}\n${m.text}`,
        tag: `fusioncell-flash-${m.index}`,
        requireInteraction: true,
        lang: m.lang,
        dir: RTL.has(m.lang) ? "rtl" : "ltr",
      });
      n.addEventListener("click", () => {
        window.focus();
        window.location.assign(`/cell/t/${encodeURIComponent(m.thread)}#m-${m.index}`);
      });
    } catch (err) {
      console.warn("cell: notification:", err);
    }
  }

  showNotifyButton() {
    if (!this.notifyButton) return;
    this.notifyButton.hidden = !("Notification" in window) || Notification.permission !== "default";
  }

  async askPermission() {
    resumeAudio();
    try {
      const answer = await Notification.requestPermission();
      if (answer === "granted") {
        for (const it of this.items.values()) this.notify(it.message, null);
      }
    } catch (err) {
      console.warn("cell: notification permission:", err);
    }
    this.showNotifyButton();
  }

  async acknowledge(index, button) {
    const it = this.items.get(index);
    if (!it) return;
    button.disabled = true;
    report(say("signing"));
    try {
      const done = await signFor(ACKNOWLEDGED, it.thread, { message: index });
      report(say("acknowledged", { n: done.index }));
      this.remove(index);
      this.hooks.acknowledged(it.thread, index);
    } catch (err) {
      refused(err);
      if (err.status === 409) {
        this.remove(index); // a colleague of the party acknowledged it meanwhile
      } else {
        button.disabled = false;
      }
    }
  }

  async onEntry(f, thread) {
    if (f.kind === POSTED && f.body.urgency === FLASH && f.party !== this.party) {
      // Is it addressed to this member's party? The server knows (the charter's rule).
      const m = await api(`/api/v1/cell/threads/${encodeURIComponent(thread)}/messages/${f.index}`);
      if (m.ack.waiting.includes(this.party)) this.add(m, null);
    } else if (f.kind === ACKNOWLEDGED && f.party === this.party) {
      this.remove(f.body.message);
    } else if (f.kind === RETRACTED) {
      this.remove(f.body.message);
    } else if (f.kind === EDITED && this.items.has(f.body.message)) {
      const it = this.items.get(f.body.message);
      const m = { ...it.message, text: f.body.text, lang: f.body.lang };
      const li = this.item(m, null);
      it.li.replaceWith(li);
      this.items.set(m.index, { ...it, li, message: m });
    }
  }
}

// ---- the thread page -----------------------------------------------------------------------

/** Carry what the member was doing in a message over to its fresh rendering. */
function keepState(old, fresh) {
  for (const d of old.querySelectorAll("details[open]")) {
    fresh.querySelector(`details.${[...d.classList].join(".")}`)?.setAttribute("open", "");
  }
  for (const form of old.querySelectorAll("form.inline-form:not([hidden])")) {
    const twin = fresh.querySelector(`#${CSS.escape(form.id)}`);
    if (!twin) continue;
    twin.hidden = false;
    for (const field of form.elements) {
      if (field.name && twin.elements[field.name]) twin.elements[field.name].value = field.value;
    }
    fresh
      .querySelector(`button[aria-controls="${CSS.escape(form.id)}"]`)
      ?.setAttribute("aria-expanded", "true");
  }
  const active = document.activeElement;
  if (active && old.contains(active)) {
    let target = null;
    if (active.name && active.form) {
      target = fresh.querySelector(`#${CSS.escape(active.form.id)} [name="${active.name}"]`);
    } else if (active.dataset && active.dataset.action) {
      const swap = { pin: "unpin", unpin: "pin" };
      target =
        fresh.querySelector(`button[data-action="${active.dataset.action}"]`) ||
        fresh.querySelector(`button[data-action="${swap[active.dataset.action] || ""}"]`);
    }
    return target || fresh;
  }
  return null;
}

/** After acting on a message, the keyboard stays there: on the same button, its opposite
 * (pin/unpin), the message's first button, or the message itself. */
function focusAfter(article, action) {
  if (!article) return;
  const swap = { pin: "unpin", unpin: "pin" };
  const target =
    article.querySelector(`button[data-action="${action}"]:not([disabled])`) ||
    article.querySelector(`button[data-action="${swap[action] || ""}"]`) ||
    article.querySelector(".actions button");
  if (target) {
    target.focus();
  } else {
    article.tabIndex = -1;
    article.focus();
  }
}

function insertSorted(container, el, before = null) {
  const index = Number(el.dataset.index);
  const next = [...container.children].find((c) => Number(c.dataset.index) > index);
  container.insertBefore(el, next || before);
}

class ThreadPage {
  constructor(root) {
    this.root = root;
    this.id = root.dataset.thread;
    this.parties = root.dataset.parties.split(",").filter(Boolean);
    knownParties.set(this.id, this.parties);
    this.searching = root.dataset.searching === "true";
    this.list = document.getElementById("messages");
    this.pins = document.getElementById("pinned");
    this.compose = document.getElementById("compose");
    this.readUpto = Number(root.dataset.newest) || 0;
    this.readSent = 0;
    root.addEventListener("click", (ev) => this.click(ev));
    root.addEventListener("submit", (ev) => this.submit(ev));
    root.addEventListener("keydown", (ev) => {
      const form = ev.target.closest && ev.target.closest("form.inline-form");
      if (ev.key === "Escape" && form) this.closeForm(form);
    });
    root.addEventListener("change", (ev) => {
      // The text field takes the language chosen for it (spelling, fonts, screen readers).
      if (ev.target.name !== "lang" || !ev.target.form) return;
      const field = ev.target.form.querySelector("textarea");
      if (field) field.lang = ev.target.value;
    });
    document.addEventListener("visibilitychange", () => this.markRead(this.readUpto));
    this.markRead(this.readUpto);
  }

  // -- reading --

  markRead(upto) {
    this.readUpto = Math.max(this.readUpto, upto);
    if (document.visibilityState !== "visible" || this.readSent >= this.readUpto) return;
    this.readSent = this.readUpto;
    api(`/api/v1/cell/threads/${encodeURIComponent(this.id)}/read`, {
      method: "POST",
      body: { upto: this.readSent },
    })
      .then(() => this.onRead && this.onRead())
      .catch((err) => console.warn("cell: read receipt:", err));
  }

  async upsert(index, { insert = true } = {}) {
    const el = await fragment(`/cell/t/${encodeURIComponent(this.id)}/m/${index}`);
    if (!el) return;
    const old = document.getElementById(`m-${index}`);
    if (old) {
      const focus = keepState(old, el);
      old.replaceWith(el);
      if (focus) {
        if (focus === el) el.tabIndex = -1;
        focus.focus();
      }
    } else if (insert) {
      insertSorted(this.list, el);
      document.getElementById("no-messages")?.setAttribute("hidden", "");
    }
    tick();
  }

  async refreshPin(kind, index) {
    const shown = document.getElementById(`p-${index}`);
    if (kind === UNPINNED) {
      shown?.remove();
    } else if (kind === PINNED || shown) {
      const el = await fragment(`/cell/t/${encodeURIComponent(this.id)}/m/${index}?view=pin`);
      const again = document.getElementById(`p-${index}`);
      if (el && again) again.replaceWith(el);
      else if (el) insertSorted(this.pins, el);
    }
    document.getElementById("pins").hidden = this.pins.children.length === 0;
  }

  onEntry(f) {
    if (f.kind === POSTED) {
      // A search shows what matched when the page was asked for; the rest waits.
      if (!this.searching) this.upsert(f.index).then(() => this.markRead(f.index));
    } else if (ON_MESSAGE.has(f.kind) && Number.isInteger(f.body.message)) {
      const index = f.body.message;
      this.upsert(index, { insert: false }).then(() => this.refreshPin(f.kind, index));
    }
  }

  // -- acting --

  click(ev) {
    const b = ev.target.closest("button[data-action]");
    if (!b) return;
    const article = b.closest("article.msg");
    const index = Number(b.dataset.message || (article && article.dataset.index));
    switch (b.dataset.action) {
      case "ack":
        this.act(b, ACKNOWLEDGED, index);
        break;
      case "pin":
        this.act(b, PINNED, index);
        break;
      case "unpin":
        this.act(b, UNPINNED, index);
        break;
      case "reply":
        this.replyTo(index);
        break;
      case "reply-cancel":
        this.replyTo(null);
        break;
      case "edit":
      case "retract":
        this.openForm(b, document.getElementById(`${b.dataset.action}-${index}`));
        break;
      case "cancel":
        this.closeForm(b.closest("form"));
        break;
      default:
    }
  }

  openForm(button, form) {
    if (!form) return;
    for (const other of form.closest("article").querySelectorAll("form.inline-form")) {
      if (other !== form) this.closeForm(other, false);
    }
    form.hidden = false;
    button.setAttribute("aria-expanded", "true");
    form.querySelector("textarea")?.focus();
  }

  closeForm(form, refocus = true) {
    if (!form || form.hidden) return;
    form.hidden = true;
    const opener = document.querySelector(`button[aria-controls="${CSS.escape(form.id)}"]`);
    opener?.setAttribute("aria-expanded", "false");
    if (refocus) opener?.focus();
  }

  replyTo(index) {
    const form = this.compose;
    if (!form) return;
    const note = document.getElementById("reply-note");
    const link = document.getElementById("reply-link");
    form.elements.reply_to.value = index === null ? "" : String(index);
    note.hidden = index === null;
    if (index !== null) {
      link.href = `#m-${index}`;
      link.textContent = `#${index}`;
    }
    form.elements.text.focus();
  }

  async act(button, kind, index) {
    // A disabled button loses the focus: remember it, to give it back afterwards.
    const focused = document.activeElement === button;
    button.disabled = true;
    report(say("signing"));
    try {
      const done = await signFor(kind, this.id, { message: index });
      report(say(kind === ACKNOWLEDGED ? "acknowledged" : "sent", { n: done.index }));
      if (kind === ACKNOWLEDGED) this.flash?.remove(index);
      await this.upsert(index, { insert: false });
      await this.refreshPin(kind, index);
      if (focused) focusAfter(document.getElementById(`m-${index}`), button.dataset.action);
    } catch (err) {
      refused(err);
      button.disabled = false;
      if (focused) button.focus();
    }
  }

  submit(ev) {
    const form = ev.target;
    if (form === this.compose) {
      ev.preventDefault();
      this.send(form);
    } else if (form.classList.contains("edit-form")) {
      ev.preventDefault();
      this.edit(form);
    } else if (form.classList.contains("retract-form")) {
      ev.preventDefault();
      this.retract(form);
    }
  }

  async write(form, kind, body, check) {
    const button = form.querySelector("button[type=submit]");
    const problem = check();
    if (problem) {
      report(problem, { failed: true });
      form.querySelector("textarea")?.focus();
      return null;
    }
    button.disabled = true;
    try {
      const files = body.files || [];
      delete body.files;
      const attachments = [];
      for (const file of files) {
        report(say("uploading", { name: file.name }));
        const got = await upload(file);
        const name = [...file.name].slice(0, MAX_NAME).join("") || got.sha256.slice(0, 12);
        attachments.push({ sha256: got.sha256, name, type: got.type, size: got.size });
      }
      if (attachments.length) body.attachments = attachments;
      report(say("signing"));
      const done = await signFor(kind, this.id, body);
      report(say("sent", { n: done.index }));
      return done;
    } catch (err) {
      refused(err);
      return null;
    } finally {
      button.disabled = false;
    }
  }

  async send(form) {
    const el = form.elements;
    const files = [...el.files.files];
    const maxBytes = Number(form.dataset.maxBytes);
    const maxFiles = Number(form.dataset.maxFiles);
    const body = { urgency: el.urgency.value, text: el.text.value, lang: el.lang.value, files };
    if (el.reply_to.value) body.reply_to = Number(el.reply_to.value);
    const done = await this.write(form, POSTED, body, () => {
      const bad = textProblem(el.text.value, Number(form.dataset.maxText));
      if (bad) return bad;
      if (files.length > maxFiles) return say("tooMany", { n: maxFiles });
      const big = files.find((f) => f.size > maxBytes);
      if (big) return say("tooBig", { name: big.name, limit: form.dataset.maxSize });
      return null;
    });
    if (!done) return;
    // The message may be on the page (live) before its append answers, and the writer may
    // have begun the next one meanwhile: only a form still holding what was sent is reset.
    if (el.text.value === body.text) {
      el.text.value = "";
      el.files.value = "";
      el.urgency.selectedIndex = el.urgency.options.length - 1;
      this.replyTo(null);
    }
    await this.upsert(done.index);
    this.markRead(done.index);
  }

  async edit(form) {
    const index = Number(form.dataset.message);
    const el = form.elements;
    const max = Number(this.compose?.dataset.maxText || 8000);
    const done = await this.write(
      form,
      EDITED,
      { message: index, text: el.text.value, lang: el.lang.value },
      () => textProblem(el.text.value, max),
    );
    if (done) {
      this.closeForm(form, false);
      await this.upsert(index, { insert: false });
      document.querySelector(`#m-${index} button[data-action=edit]`)?.focus();
    }
  }

  async retract(form) {
    const index = Number(form.dataset.message);
    const el = form.elements;
    const reason = el.reason.value;
    const body = { message: index };
    if (reason.trim()) body.reason = { text: reason, lang: el.lang.value };
    const max = Number(this.compose?.dataset.maxText || 8000);
    const done = await this.write(form, RETRACTED, body, () =>
      reason.trim() ? textProblem(reason, max) : null,
    );
    if (done) {
      await this.upsert(index, { insert: false });
      await this.refreshPin(RETRACTED, index);
      document.getElementById(`m-${index}`)?.focus();
    }
  }
}

// ---- opening a thread --------------------------------------------------------------------

function newThreadForm(form) {
  form.addEventListener("change", (ev) => {
    if (ev.target.name === "lang") form.elements.topic.lang = ev.target.value;
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const el = form.elements;
    const topic = el.topic.value;
    const problem = textProblem(topic, Number(form.dataset.maxTopic));
    if (problem) {
      report(problem, { failed: true });
      el.topic.focus();
      return;
    }
    const parties = el.parties.value.split(",").filter(Boolean).sort();
    const thread = hex(crypto.getRandomValues(new Uint8Array(8)));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    report(say("signing"));
    try {
      await signAndAppend(THREAD_OPENED, `t/${thread}`, parties, {
        thread,
        workstream: el.workstream.value,
        topic: { text: topic, lang: el.lang.value },
        parties,
      });
      window.location.assign(`/cell/t/${thread}`);
    } catch (err) {
      refused(err);
      button.disabled = false;
    }
  });
}

// ---- the inbox, the home page, the unread count ------------------------------------------

/** A part of this page that the server renders again when the cell changes. */
class LiveSection {
  constructor(el) {
    this.el = el;
    this.timer = null;
  }

  soon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh().catch((e) => console.warn("cell:", e)), 300);
  }

  async refresh() {
    const r = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    const fresh = doc.getElementById(this.el.id);
    if (!fresh) return;
    const active = document.activeElement;
    const href = active && this.el.contains(active) ? active.getAttribute("href") : null;
    this.el.replaceChildren(...fresh.childNodes);
    if (href) this.el.querySelector(`a[href="${CSS.escape(href)}"]`)?.focus();
    tick();
  }
}

/**
 * A page that declares data-live on <main> (kind prefixes; data-live-subject: the subjects
 * it shows, else every entry of those kinds): drawn again when such an entry arrives from
 * someone else. Its forms are bound to what it shows, so the whole page is loaded again;
 * while the reader is writing in a form, a notice offers the reload instead.
 */
class LivePage {
  constructor(main) {
    this.kinds = main.dataset.live.split(/\s+/).filter(Boolean);
    this.subjects = (main.dataset.liveSubject || "").split(/\s+/).filter(Boolean);
    this.timer = null;
    this.dirty = false;
    main.addEventListener("input", (ev) => {
      if (ev.target.closest("form")) this.dirty = true;
    });
    this.notice = document.getElementById("live-notice");
    this.notice?.querySelector("button")?.addEventListener("click", () => window.location.reload());
    // A reload must never cut short a navigation already begun (a link, the back button,
    // an address typed): it would bring the reader back to this page.
    this.leaving = false;
    const leave = () => {
      this.leaving = true;
      clearTimeout(this.timer);
    };
    window.addEventListener("beforeunload", leave);
    window.addEventListener("pagehide", leave);
  }

  concerns(f) {
    if (!this.kinds.some((k) => f.kind.startsWith(k))) return false;
    if (!this.subjects.length) return true;
    if (DEADLINE_KINDS.has(f.kind)) {
      return (f.body.items || []).some((item) => this.subjects.includes(item.subject));
    }
    return this.subjects.includes(f.subject);
  }

  onEntry(f) {
    // One's own writes reload the page from the form that made them.
    if (f.member === document.body.dataset.member || !this.concerns(f)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), 300);
  }

  update() {
    if (this.leaving) return;
    const typing = document.activeElement?.closest("main form") && document.activeElement.matches("input, textarea, select");
    if (this.dirty || typing) {
      if (this.notice) this.notice.hidden = false;
      return;
    }
    window.location.reload();
  }
}

class Unread {
  constructor(el) {
    this.el = el;
    this.timer = null;
  }

  soon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh().catch((e) => console.warn("cell:", e)), 800);
  }

  async refresh() {
    if (!this.el) return;
    const data = await api("/api/v1/cell/threads");
    const n = data.threads.reduce((sum, t) => sum + t.unread, 0);
    this.el.querySelector(".n").textContent = String(n);
    this.el.hidden = n === 0;
  }
}

// ---- every signed-in page ------------------------------------------------------------------

function main() {
  const d = document.body.dataset;
  if (!d.member || window.location.pathname.startsWith("/signin")) return;
  tick();
  setInterval(tick, 1000);
  document.addEventListener("pointerdown", resumeAudio, { once: true });
  document.addEventListener("keydown", resumeAudio, { once: true });

  const threadEl = document.getElementById("thread");
  const page = threadEl ? new ThreadPage(threadEl) : null;
  const unread = new Unread(document.getElementById("cell-unread"));
  const flashEl = document.getElementById("flash");
  const flash = flashEl
    ? new Flash(flashEl, {
        acknowledged: (thread, index) => {
          if (page && page.id === thread) page.upsert(index, { insert: false });
        },
      })
    : null;
  if (page) {
    page.flash = flash;
    page.onRead = () => unread.soon();
  }
  const sections = ["inbox", "owed-home"]
    .map((id) => document.getElementById(id))
    .filter(Boolean)
    .map((el) => new LiveSection(el));
  const form = document.getElementById("new-thread");
  if (form) newThreadForm(form);

  flash?.load().catch((err) => console.warn("cell: owed:", err));
  unread.refresh().catch((err) => console.warn("cell: unread:", err));

  const size = Number(d.logSize);
  const boardEl = document.getElementById("board");
  const board = boardEl ? new LiveSection(boardEl) : null;
  // Who is on duty, the roster, the line's state: redrawn when another capability writes.
  const elsewhere = ["duty-board", "duty-roster", "line-home"]
    .map((id) => document.getElementById(id))
    .filter(Boolean)
    .map((el) => new LiveSection(el));
  const mainEl = document.getElementById("main");
  const live = mainEl?.dataset.live ? new LivePage(mainEl) : null;
  const stream = new Stream(size > 0 ? size - 1 : null, (f) => {
    live?.onEntry(f);
    board?.soon(); // any entry may open, close or breach a clock
    if (!f.kind.startsWith("cell.")) for (const s of elsewhere) s.soon();
    if (DEADLINE_KINDS.has(f.kind)) {
      // A breach or an escalation: redraw the messages it concerns on this thread's page.
      for (const item of f.body.items || []) {
        const refs = item.refs || {};
        if (page && refs.thread === page.id && Number.isInteger(refs.message)) {
          page.upsert(refs.message, { insert: false });
        }
      }
      for (const s of sections) s.soon();
      return;
    }
    if (!f.kind.startsWith("cell.") || !f.subject.startsWith("t/")) return;
    const thread = f.subject.slice(2);
    knownParties.set(thread, f.visibility);
    flash?.onEntry(f, thread).catch((err) => console.warn("cell: flash:", err));
    if (page && page.id === thread) page.onEntry(f);
    for (const s of sections) s.soon();
    unread.soon();
  });
  stream.start();
  document.documentElement.dataset.cell = "ready";
}

main();
