// Every write from the web UI is a statement signed here, with this device's key
// (docs/log.md: statements, bodies, entries). The server checks it; it never signs for us.
import { api, b64encode, ensureDevice, hex, pageContext } from "./device.js";
import { canonicalBytes } from "./jcs.js";

/** RFC 3339, UTC, exactly milliseconds and "Z" (2026-11-26T10:31:00.123Z). */
export function rfc3339(date = new Date()) {
  return date.toISOString();
}

/** base64 of 16 random bytes: the salt every body carries. */
export function newSalt() {
  return b64encode(crypto.getRandomValues(new Uint8Array(16)));
}

/** Build and sign a statement (without sending it): {statement, raw, sig, body}. */
export async function signStatement(kind, subject, visibility, body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new TypeError("a body is a JSON object");
  }
  const ctx = pageContext();
  const device = await ensureDevice();
  const full = { ...body, salt: newSalt() };
  const digest = await crypto.subtle.digest("SHA-256", canonicalBytes(full));
  const statement = {
    v: 1,
    origin: ctx.origin,
    kind,
    subject,
    author: { party: ctx.party, member: ctx.member, key: device.key_id },
    visibility: [...new Set(visibility)].sort(),
    body_sha256: hex(digest),
    client_time: rfc3339(),
  };
  const raw = canonicalBytes(statement);
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, device.keys.privateKey, raw);
  return { statement, raw, sig: new Uint8Array(sig), body: full };
}

/** Sign a statement with this device's key and append it to the log.
 * Resolves to the server's answer {index, leaf_hash, size, checkpoint}; rejects with an
 * Error whose message is the server's problem+json `detail`. */
export async function signAndAppend(kind, subject, visibility, body) {
  const signed = await signStatement(kind, subject, visibility, body);
  return api("/log/v1/append", {
    method: "POST",
    body: { statement: b64encode(signed.raw), sig: b64encode(signed.sig), body: signed.body },
  });
}
