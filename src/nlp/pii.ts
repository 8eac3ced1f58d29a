import { RE2JS } from 're2js';

// Personal data in customer text: emails, IBANs, card numbers and phone numbers. The patterns run on anything a
// customer typed, so they are RE2 (linear time whatever the input), never backtracking JavaScript expressions.
const EMAIL = RE2JS.compile('[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+');
// Two letters, two check digits, then groups of four letters or digits (spaced or not) and a shorter last group:
// FR76 3000 6000 0112 3456 7890 189.
const IBAN = RE2JS.compile('\\b[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?\\b');
// 13 to 19 digits, possibly grouped by spaces or dashes, starting as card networks do (2-6; 00 is a phone prefix).
const CARD = RE2JS.compile('\\b[2-6](?:[ -]?[0-9]){12,18}\\b');
// International (+33 6..., 0040 7...) or national (06..., 07...) numbers, separators allowed between digits.
const PHONE = RE2JS.compile('(?:\\+|\\b0{1,2})[1-9](?:[ .()/-]{0,2}[0-9]){7,13}\\b');

export type PiiKind = 'email' | 'iban' | 'card' | 'phone';

/** In the order they are replaced: an IBAN or a card number is not also taken for a phone number. */
const PATTERNS: readonly (readonly [PiiKind, RE2JS])[] = [
  ['email', EMAIL],
  ['iban', IBAN],
  ['card', CARD],
  ['phone', PHONE],
];

/** `text` with each email, IBAN, card number and phone number replaced by a placeholder such as "[email]". */
export function maskPii(text: string): string {
  let out = text;
  for (const [kind, re] of PATTERNS) out = re.matcher(out).replaceAll(`[${kind}]`);
  return out;
}

/** Whether `text` holds something maskPii would hide. */
export function hasPii(text: string): boolean {
  return PATTERNS.some(([, re]) => re.matcher(text).find());
}

/** Digits a phone number is compared on: its last 9 (separators, country code and trunk 0 ignored). */
export const PHONE_KEY_DIGITS = 9;

/**
 * The comparable form of a phone number ("+33 6 12 34 56 78", "06.12.34.56.78" and "0612345678" are the same), or
 * undefined when it has fewer than 8 digits (too short to identify anyone).
 */
export function phoneKey(phone: string): string | undefined {
  const digits = phone.replace(/[^0-9]/g, '');
  return digits.length < 8 ? undefined : digits.slice(-PHONE_KEY_DIGITS);
}

/** The phone keys of every phone number in `text`. */
export function phoneKeysIn(text: string): string[] {
  const out: string[] = [];
  const m = PHONE.matcher(text);
  while (m.find()) {
    const k = phoneKey(m.group() ?? '');
    if (k) out.push(k);
  }
  return out;
}
