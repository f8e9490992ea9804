// This browser's device key: every device a member writes from has its own Ed25519 key.
//
// The key pair is made here with WebCrypto, its private half NON-extractable, and kept in
// IndexedDB (a CryptoKeyPair survives structured cloning, so the private key never exists
// outside the browser's key store). Only the public half goes to the server
// (POST /api/v1/devices); a party admin then registers it in the log, or, in the demo, the
// server registers it at once with the party's root key (`auto_approved`).
const DB_NAME = "fusioncell";
const STORE = "devices";

// ---- bytes -------------------------------------------------------------------------------

function asBytes(data) {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Standard base64 with padding (the log's only form). */
export function b64encode(data) {
  const bytes = asBytes(data);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Lowercase hex. */
export function hex(data) {
  return Array.from(asBytes(data), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- the page ----------------------------------------------------------------------------

/** Who is signed in on this page, from <body data-...> (base.html). */
export function pageContext() {
  const d = document.body.dataset;
  return {
    csrf: d.csrf || "",
    origin: d.origin || "",
    member: d.member || "",
    party: d.party || "",
    parties: (d.parties || "").split(",").filter(Boolean),
  };
}

/** A JSON request to our own server; a problem+json answer becomes an Error (its detail). */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = pageContext().csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const detail = (data && (data.detail || data.title)) || `HTTP ${resp.status}`;
    const err = new Error(detail);
    err.status = resp.status;
    err.problem = data;
    throw err;
  }
  return data;
}

// ---- IndexedDB ---------------------------------------------------------------------------

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let dbPromise = null;

function database() {
  if (!dbPromise) {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    dbPromise = request(open);
  }
  return dbPromise;
}

async function store(mode) {
  const db = await database();
  return db.transaction(STORE, mode).objectStore(STORE);
}

async function load(id) {
  return request((await store("readonly")).get(id));
}

async function save(id, record) {
  await request((await store("readwrite")).put(record, id));
  return record;
}

async function remove(id) {
  await request((await store("readwrite")).delete(id));
}

// ---- the device key ----------------------------------------------------------------------

/** The IndexedDB key of this member's device record: the log's origin and the member. */
export function deviceId(ctx = pageContext()) {
  return `${ctx.origin} ${ctx.party}/${ctx.member}`;
}

/** A short label for the device list: browser and platform (not personal data). */
export function deviceLabel() {
  const ua = navigator.userAgent || "";
  const browsers = [
    [/Edg\//, "Edge"],
    [/OPR\//, "Opera"],
    [/Firefox\//, "Firefox"],
    [/Chromium\//, "Chromium"],
    [/Chrome\//, "Chrome"],
    [/Safari\//, "Safari"],
  ];
  const platforms = [
    [/Android/, "Android"],
    [/iPhone|iPad|iPod/, "iOS"],
    [/Windows/, "Windows"],
    [/Mac OS X|Macintosh/, "macOS"],
    [/CrOS/, "ChromeOS"],
    [/Linux/, "Linux"],
  ];
  const pick = (table, fallback) => (table.find(([re]) => re.test(ua)) || [null, fallback])[1];
  const platform = (navigator.userAgentData && navigator.userAgentData.platform) || "";
  return `${pick(browsers, "browser")} · ${platform || pick(platforms, "unknown")}`;
}

async function withLock(name, fn) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request(name, fn);
  return fn();
}

async function createRecord(id) {
  const keys = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const raw = await crypto.subtle.exportKey("raw", keys.publicKey);
  return save(id, { keys, public_key: b64encode(raw), created: new Date().toISOString() });
}

async function registerRecord(id, record) {
  const answer = await api("/api/v1/devices", {
    method: "POST",
    body: { public_key: record.public_key, label: deviceLabel() },
  });
  return save(id, {
    ...record,
    request: answer.id,
    name: answer.name,
    vkey: answer.vkey,
    key_id: answer.key_id,
    status: answer.status,
    auto_approved: Boolean(answer.auto_approved),
    admin: Boolean(answer.admin),
  });
}

async function loadOrCreate(id) {
  let record = (await load(id)) || (await createRecord(id));
  if (!record.key_id) record = await registerRecord(id, record);
  return record;
}

let ready = null;

/** This member's device key on this browser, made and sent for registration if new.
 * Resolves to {keys: CryptoKeyPair, public_key, name, key_id, status, auto_approved, ...}. */
export function ensureDevice() {
  if (!ready) {
    const id = deviceId();
    // One tab at a time: two tabs opened at once must not make two keys.
    ready = withLock(`fusioncell-device ${id}`, () => loadOrCreate(id));
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

/** Forget this browser's key for this member (after it was revoked or refused) and make a
 * new one. */
export async function renewDevice() {
  const id = deviceId();
  await ready?.catch(() => null);
  ready = withLock(`fusioncell-device ${id}`, async () => {
    await remove(id);
    return loadOrCreate(id);
  });
  return ready;
}
