// fusioncell's own script (an ES module): no inline code anywhere (CSP script-src 'self').
// Every visible text comes from the page's data- attributes, so the templates translate it.
//
// - every signed-in page: make sure this browser has a device key for the member;
// - the profile: this device's status, revoking the member's other devices;
// - the party admin's page: approving a device registers its key in the log, signed by
//   the admin's own device key.

import { ensureDevice, pageContext, renewDevice } from "./device.js";
import { signAndAppend } from "./sign.js";

const KEY_REGISTERED = "member.key.registered";
const KEY_REVOKED = "member.key.revoked";

function signedIn() {
  // The TOTP step is "half signed in": the device waits until the session is complete.
  return Boolean(document.body.dataset.member) && !location.pathname.startsWith("/signin");
}

function say(el, key, detail) {
  if (!el) return;
  el.textContent = el.dataset[key] || "";
  if (detail) {
    const extra = document.createElement("bdi");
    extra.textContent = ` ${detail}`;
    el.append(extra);
  }
  el.dataset.state = key;
  el.hidden = false;
}

function keyTag(record) {
  const code = document.createElement("code");
  code.dir = "ltr";
  code.textContent = `${record.name} ${record.key_id}`;
  return code;
}

// ---- profile -----------------------------------------------------------------------------

async function liveStatus(record) {
  // A key made while this page loaded is not in its table yet: ask the server.
  const r = await fetch("/api/v1/devices", { credentials: "same-origin" });
  if (!r.ok) return "unknown";
  const found = (await r.json()).devices.find((d) => d.key_id === record.key_id);
  return found ? found.status : "unknown";
}

async function showDevice(record, statusEl) {
  // The profile lists the member's devices as the server knew them (data-status).
  const rows = [...document.querySelectorAll("tr[data-key-id]")];
  const own = rows.find((row) => row.dataset.keyId === record.key_id);
  const status = own ? own.dataset.status : await liveStatus(record);
  let key = status;
  if (status === "registered" && record.auto_approved) key = "auto";
  say(statusEl, key);
  statusEl.append(" ", keyTag(record));
  const renew = document.getElementById("device-renew");
  if (renew) renew.hidden = status === "registered" || status === "pending";
  for (const row of rows) {
    if (row === own) {
      row.classList.add("this-device");
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = statusEl.dataset.thisDevice || "";
      row.cells[2].append(" ", tag);
    } else if (status === "registered") {
      // Only a registered key can sign the revocation of another.
      for (const button of row.querySelectorAll("button.revoke")) button.hidden = false;
    }
  }
  document.documentElement.dataset.device = status;
}

async function revoke(button, statusEl) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const ctx = pageContext();
  button.disabled = true;
  say(statusEl, "revoking");
  try {
    await signAndAppend(KEY_REVOKED, `${ctx.party}/${ctx.member}`, ctx.parties, {
      party: ctx.party,
      member: ctx.member,
      key: button.dataset.keyId,
    });
    window.location.reload();
  } catch (err) {
    console.warn("revocation refused:", err);
    say(statusEl, "failed", err.message);
    button.disabled = false;
  }
}

function profilePage(statusEl) {
  for (const button of document.querySelectorAll("button.revoke")) {
    button.addEventListener("click", () => revoke(button, statusEl));
  }
  const renew = document.getElementById("device-renew");
  if (renew) {
    renew.addEventListener("click", async () => {
      renew.disabled = true;
      say(statusEl, "working");
      try {
        await renewDevice();
        window.location.reload();
      } catch (err) {
        console.warn("new device key failed:", err);
        say(statusEl, "failed", err.message);
        renew.disabled = false;
      }
    });
  }
}

// ---- the party admin's page --------------------------------------------------------------

async function approve(button, statusEl) {
  const ctx = pageContext();
  const member = button.dataset.member;
  for (const b of document.querySelectorAll("button.approve")) b.disabled = true;
  say(statusEl, "working");
  try {
    const done = await signAndAppend(KEY_REGISTERED, `${ctx.party}/${member}`, ctx.parties, {
      party: ctx.party,
      member,
      key: button.dataset.vkey,
      admin: button.dataset.admin === "true",
    });
    say(statusEl, "done", `#${done.index}`);
    window.location.reload();
  } catch (err) {
    console.warn("approval refused:", err);
    say(statusEl, "failed", err.message);
    for (const b of document.querySelectorAll("button.approve")) b.disabled = false;
  }
}

function adminPage(statusEl) {
  for (const button of document.querySelectorAll("button.approve")) {
    button.addEventListener("click", () => approve(button, statusEl));
  }
}

// ---- every page --------------------------------------------------------------------------

async function main() {
  if (!signedIn()) return;
  const deviceEl = document.getElementById("device-status");
  const approveEl = document.getElementById("approve-status");
  if (deviceEl) {
    profilePage(deviceEl);
    say(deviceEl, "working");
  }
  if (approveEl) adminPage(approveEl);
  let record;
  try {
    record = await ensureDevice();
  } catch (err) {
    const unsupported = err && err.name === "NotSupportedError";
    document.documentElement.dataset.device = unsupported ? "unsupported" : "error";
    console.warn("device key:", err);
    say(deviceEl, unsupported ? "unsupported" : "failed", unsupported ? "" : err.message);
    return;
  }
  if (deviceEl) {
    try {
      await showDevice(record, deviceEl);
    } catch (err) {
      console.warn("device status:", err);
      say(deviceEl, "failed", err.message);
      document.documentElement.dataset.device = "error";
    }
  } else {
    document.documentElement.dataset.device = "ready";
  }
}

main();
