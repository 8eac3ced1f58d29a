import { RE2JS } from 're2js';
import type { MessageRecord } from '../domain/conversation';
import { EMAIL, firstMatch } from '../dialogs/slots';

// RE2 (linear time): this runs over every customer message of a conversation at handoff.
const PHONE = RE2JS.compile('(?:\\+|\\b0)[\\d .-]{8,16}\\d\\b');
const HAS_DIGIT = /\d/;

/** Contact details a customer typed, passed on with a handoff (the agent can reach them after hours). */
export interface Contact {
  email?: string;
  phone?: string;
}

/** The customer's last email and phone number in the transcript, if they typed them. */
export function contactOf(transcript: MessageRecord[]): { contact?: Contact } {
  let email: string | undefined;
  let phone: string | undefined;
  for (const m of transcript) {
    if (m.from !== 'customer') continue;
    // Linear either way; the cheap checks spare RE2 the messages that cannot hold an address or a number.
    if (m.text.includes('@')) email = firstMatch(EMAIL, m.text)?.[0] ?? email;
    if (HAS_DIGIT.test(m.text)) phone = firstMatch(PHONE, m.text)?.[0]?.replace(/[ .-]/g, '') ?? phone;
  }
  return email || phone ? { contact: { ...(email ? { email } : {}), ...(phone ? { phone } : {}) } } : {};
}
