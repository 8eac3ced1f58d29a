/**
 * Our outbox events as Chatwoot message texts: the transcript note of handoff.requested (a private note agents read
 * before answering) and each later customer message. Pure functions over the event data (src/engine/handoffFlow.ts).
 */

export interface FileLine {
  name?: string;
  contentType?: string;
  size?: number;
  url?: string;
}

export interface TranscriptLine {
  at?: string;
  from?: string;
  text?: string;
  attachments?: FileLine[];
}

/** The handoff.requested data the note uses. */
export interface HandoffData {
  handoffId: string;
  channel?: string;
  language?: string;
  queue?: string;
  reason?: string;
  contact?: { email?: string; phone?: string };
  transcript?: TranscriptLine[];
  transcriptTotal?: number;
  transcriptUrl?: string;
  transcriptUrlExpiresAt?: string;
  attachments?: FileLine[];
}

export interface CustomerMessageData {
  handoffId: string;
  text?: string;
  attachments?: FileLine[];
}

/** Chatwoot refuses longer contents (app/models/message.rb: 150,000); well under it. */
export const MAX_CONTENT_CHARS = 100_000;

const WHO: Record<string, string> = { customer: 'Customer', bot: 'Bot', agent: 'Agent' };

/** "2026-12-01 18:40:05 UTC" from an ISO time (as given when it is not one). */
export function timeOf(iso: string | undefined): string {
  if (!iso) return '?';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function fileText(f: FileLine): string {
  const size = typeof f.size === 'number' ? ` (${Math.ceil(f.size / 1024)} KB)` : '';
  return `${f.name ?? 'file'}${size}${f.url ? `: ${f.url}` : ''}`;
}

const clip = (s: string) => (s.length > MAX_CONTENT_CHARS ? `${s.slice(0, MAX_CONTENT_CHARS - 1)}…` : s);

/** The private note opening the Chatwoot conversation: why, who, the transcript so far with times, the files. */
export function transcriptNote(d: HandoffData): string {
  const lines = d.transcript ?? [];
  const head = [
    `Handoff from the bot: reason ${d.reason ?? '?'}, queue ${d.queue ?? '?'}, language ${d.language ?? '?'}, channel ${d.channel ?? '?'}.`,
    ...(d.contact?.email ? [`Email: ${d.contact.email}`] : []),
    ...(d.contact?.phone ? [`Phone: ${d.contact.phone}`] : []),
  ];
  const total = d.transcriptTotal ?? lines.length;
  const body = lines.map((l) => {
    const files = (l.attachments ?? []).map((f) => `\n    [file] ${fileText(f)}`).join('');
    return `[${timeOf(l.at)}] ${WHO[l.from ?? ''] ?? l.from ?? '?'}: ${l.text ?? ''}${files}`;
  });
  const more =
    total > lines.length
      ? [
          `(last ${lines.length} of ${total} messages${d.transcriptUrl ? '; the whole transcript is at the link below' : ''})`,
        ]
      : [];
  const link = d.transcriptUrl
    ? [
        `Transcript: ${d.transcriptUrl}${d.transcriptUrlExpiresAt ? ` (until ${timeOf(d.transcriptUrlExpiresAt)})` : ''}`,
      ]
    : [];
  const files = d.attachments?.length ? ['Attachments:', ...d.attachments.map((f) => `- ${fileText(f)}`)] : [];
  return clip([...head, '', 'Transcript:', ...more, ...body, '', ...link, ...files].join('\n').trimEnd());
}

/** A customer's message during the handoff, with links to its files. */
export function customerText(d: CustomerMessageData): string {
  const files = (d.attachments ?? []).map((f) => `[file] ${fileText(f)}`);
  return clip([d.text ?? '', ...files].filter(Boolean).join('\n') || '(empty message)');
}

/** The private note posted when the customer withdraws the request (the Chatwoot conversation is then resolved). */
export function closedNote(reason: string | undefined): string {
  return reason === 'cancelled-by-customer'
    ? 'The customer cancelled the request in the bot; this conversation is resolved.'
    : `The handoff ended in the bot (${reason ?? 'closed'}).`;
}
