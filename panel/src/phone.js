/*
 * A dialled number to E.164 by the rules of layers/common/connect_zendesk/phone.py (caller_lookup):
 * trimmed; withheld words and junk refused; at most 40 characters of digits, spaces, + ( ) . - /;
 * parsed with the stack's default region; "possible" (lengths only); at most 15 digits and reading
 * back as itself. tests/data/phone_numbers.json holds the samples both implementations are tested on.
 */
import { parsePhoneNumberWithError } from "libphonenumber-js/max";

export const MAX_RAW_LENGTH = 40;
const MAX_E164_LENGTH = 16;
const WITHHELD = ["anonymous", "private", "unknown", "restricted", "unavailable", "withheld", "blocked"];
const ALLOWED = /^[+\p{Nd}\s().\-/]+$/u;

function parse(text, defaultRegion) {
  try {
    return parsePhoneNumberWithError(text, { defaultCountry: defaultRegion || undefined, extract: false });
  } catch (error) {
    return null;
  }
}

/** {e164, region} for a usable number, else {reason} (the names phone.py uses). */
export function normalise(raw, defaultRegion) {
  const text = String(raw == null ? "" : raw).trim();
  if (!text) { return { reason: "NoCallerNumber" }; }
  if (WITHHELD.indexOf(text.toLowerCase()) >= 0) { return { reason: "Anonymous" }; }
  if (text.length > MAX_RAW_LENGTH || !ALLOWED.test(text)) { return { reason: "InvalidNumber" }; }
  // phonenumbers reads a run of leading plus signs as one.
  const parsed = parse(text.replace(/^\++/, "+"), defaultRegion);
  if (!parsed || !parsed.isPossible()) { return { reason: "InvalidNumber" }; }
  const e164 = parsed.format("E.164");
  const again = parse(e164);
  if (e164.length > MAX_E164_LENGTH || !again || again.format("E.164") !== e164) { return { reason: "InvalidNumber" }; }
  return { e164: e164, region: parsed.country || "" };
}
