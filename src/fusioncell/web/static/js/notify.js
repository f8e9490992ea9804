// Notifications on every signed-in page (docs/notifications.md, "The pages"):
//
// - a WebSocket (/api/v1/notifications/live) sends this member's web notifications as the
//   notifier writes them, and the unread count; it reconnects with back-off, resuming after
//   the last notification seen;
// - the count in the menu (#notify-unread), a polite announcement of each new one
//   (#notify-toast), and on /notifications the new ones inserted at the top of the list.
//
// No inline code (CSP script-src 'self'); every visible text comes from data- attributes
// of the page, and every value is inserted as text, never as markup.
import { pageContext } from "./device.js";
import { LiveSocket, socketUrl } from "./live.js";

const BAD_AFTER = 4400;

function strings() {
  const el = document.getElementById("notify-toast");
  return el ? el.dataset : {};
}

// ---- the count in the menu ------------------------------------------------------------------

function setCount(n) {
  const el = document.getElementById("notify-unread");
  if (!el) return;
  el.querySelector(".n").textContent = String(n);
  el.hidden = !(n > 0);
  document.documentElement.dataset.notifyUnread = String(n);
}

// ---- one notification as the list shows it (notify_list.html's macro) -------------------------

function when(time, zone) {
  try {
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      dateStyle: "medium",
      timeStyle: "medium",
      timeZone: zone || undefined,
    }).format(new Date(time));
  } catch {
    return time;
  }
}

function element(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

function article(n, zone) {
  const s = strings();
  const a = element("article", "card notify-item unread");
  a.id = `n-${n.id}`;
  a.dataset.id = String(n.id);
  const h = element("h2", "text");
  h.append(element("span", `badge u-${n.urgency}`, n.urgency_name), " ", n.title, " ");
  h.append(element("span", "tag", s.newTag || ""));
  a.append(h);
  for (const line of n.lines) a.append(element("p", "text", line));
  const meta = element("p", "small muted");
  const t = element("time", null, when(n.time, zone));
  t.setAttribute("datetime", n.time);
  const open = element("a", null, s.open || "");
  open.href = n.link;
  meta.append(t, " · ", open);
  a.append(meta);
  const form = element("form");
  form.method = "post";
  form.action = "/notifications/read";
  for (const [name, value] of [
    ["csrf", pageContext().csrf],
    ["one", String(n.id)],
  ]) {
    const input = element("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  const button = element("button", null, s.markRead || "");
  button.type = "submit";
  form.append(button);
  a.append(form);
  return a;
}

// ---- arrivals --------------------------------------------------------------------------------

function announce(n) {
  const el = document.getElementById("notify-toast");
  if (!el) return;
  const s = strings();
  el.replaceChildren();
  el.append(element("span", `badge u-${n.urgency}`, n.urgency_name), " ");
  el.append(`${s.new || ""} ${n.title} `);
  const open = element("a", null, s.open || "");
  open.href = n.link;
  el.append(open);
  el.hidden = false;
}

function insert(n) {
  const list = document.getElementById("notify-list");
  if (!list || document.getElementById(`n-${n.id}`)) return;
  document.getElementById("notify-empty")?.remove();
  list.prepend(article(n, list.dataset.zone));
  list.dataset.newest = String(Math.max(Number(list.dataset.newest || 0), n.id));
}

// ---- the live feed -----------------------------------------------------------------------------

class Live extends LiveSocket {
  constructor(after) {
    super();
    this.after = after;
  }

  url() {
    const u = socketUrl("/api/v1/notifications/live");
    if (this.after !== null) u.searchParams.set("after", String(this.after));
    u.searchParams.set("lang", document.documentElement.lang || "");
    return u.href;
  }

  frame(f) {
    if (f.type === "notification") {
      this.after = Math.max(this.after ?? 0, f.id);
      insert(f);
      announce(f);
    } else if (f.type === "ready" || f.type === "heartbeat" || f.type === "unread") {
      this.after = Math.max(this.after ?? 0, f.newest);
      setCount(f.unread);
      if (f.type === "ready") {
        this.settled();
        document.documentElement.dataset.notify = "ready";
      }
    }
  }

  onClose(ev) {
    document.documentElement.dataset.notify = "closed";
    if (ev.code === BAD_AFTER) this.after = null;
  }
}

function main() {
  const d = document.body.dataset;
  if (!d.member || window.location.pathname.startsWith("/signin")) return;
  const list = document.getElementById("notify-list");
  // The list was rendered up to data-newest: resume after it, so nothing written between
  // rendering and connecting is missed. Elsewhere, from now (the count comes with `ready`).
  const after = list ? Number(list.dataset.newest || 0) : null;
  new Live(after).start();
}

main();
