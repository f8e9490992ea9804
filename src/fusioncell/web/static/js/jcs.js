// RFC 8785 (JCS) canonical JSON: what the browser signs must be byte for byte what the
// server (Python, rfc8785) and every independent verifier compute.
//
// - objects: members sorted by their names' UTF-16 code units (JavaScript's default sort);
// - strings and numbers: exactly as JSON.stringify writes them (ECMAScript number format);
// - refused: NaN and the infinities, integers beyond ±(2^53 − 1) written without exponent
//   (the log refuses them: docs/log.md), lone surrogates, undefined, functions, symbols,
//   BigInt, and objects other than plain objects and arrays.
function fail(message) {
  throw new TypeError(`canonical JSON: ${message}`);
}

function wellFormed(s) {
  if (typeof s.isWellFormed === "function") return s.isWellFormed();
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function number(n) {
  if (!Number.isFinite(n)) fail(`${n} is not a JSON number`);
  const text = JSON.stringify(n);
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && !/[e.]/.test(text)) {
    fail(`integer ${text} is outside ±(2^53 − 1)`);
  }
  return text;
}

function string(s) {
  if (!wellFormed(s)) fail("a string holds a lone surrogate");
  return JSON.stringify(s);
}

function serialize(value, seen) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return number(value);
    case "string":
      return string(value);
    case "object":
      break;
    default:
      return fail(`a ${typeof value} is not JSON`);
  }
  if (seen.has(value)) fail("a value contains itself");
  seen.add(value);
  let out;
  if (Array.isArray(value)) {
    // Array.from: a hole becomes undefined, and is refused (map would skip it).
    out = `[${Array.from(value, (item) => serialize(item, seen)).join(",")}]`;
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) fail("only plain objects and arrays");
    const names = Object.keys(value).sort();
    out = `{${names.map((k) => `${string(k)}:${serialize(value[k], seen)}`).join(",")}}`;
  }
  seen.delete(value);
  return out;
}

/** The canonical JSON text of `value` (RFC 8785). */
export function canonicalize(value) {
  return serialize(value, new Set());
}

/** The canonical JSON of `value` as UTF-8 bytes: what is hashed and signed. */
export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalize(value));
}
