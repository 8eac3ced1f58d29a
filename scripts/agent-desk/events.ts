import type { Conversation, Desk } from './desk';
import { bold, clip, dim, hhmm, yellow } from './format';

export interface WebhookEvent {
  type: string;
  timestamp?: string;
  data: { conversationId: string; seq?: number; [key: string]: unknown };
}

interface TranscriptLine {
  at?: string;
  from?: string;
  text?: string;
}

/** Show one webhook from the bot and update what the desk knows of the conversation. */
export function showEvent(desk: Desk, e: WebhookEvent): void {
  const d = e.data;
  const c = desk.conversation(d.conversationId);
  const tag = desk.tag(c);
  if (typeof d.seq === 'number') {
    if (c.lastSeq && d.seq !== c.lastSeq + 1)
      desk.print(dim(`${tag} (event ${d.seq} after ${c.lastSeq}: some events were missed or came late)`));
    c.lastSeq = Math.max(c.lastSeq, d.seq);
  }
  switch (e.type) {
    case 'handoff.requested':
      desk.print(handoffRequested(desk, c, e));
      break;
    case 'conversation.message': {
      const text = String(d.text ?? '');
      c.lastCustomerText = text;
      if (c.status === 'unknown' || c.status === 'closed') c.status = 'queued';
      desk.print(`${tag} ${bold('customer')}: ${text}`);
      break;
    }
    case 'conversation.closed': {
      c.status = 'closed';
      const why =
        d.reason === 'cancelled-by-customer'
          ? 'the customer cancelled the request'
          : d.reason === 'completed'
            ? 'handed back to the bot'
            : String(d.reason ?? 'closed');
      desk.print(`${tag} ${bold('closed')}: ${why}${d.note ? ` (note: ${String(d.note)})` : ''}`);
      break;
    }
    case 'csat.received': {
      const score = Number(d.score);
      desk.print(
        `${tag} satisfaction: ${bold(`${score}/5`)} ${'★'.repeat(Math.max(0, Math.min(5, score)))}${'☆'.repeat(Math.max(0, 5 - score))}`,
      );
      break;
    }
    case 'conversation.erased':
      // The customer's data was erased at the bot (GDPR): the desk forgets what it kept of the conversation too.
      c.status = 'closed';
      delete c.lastCustomerText;
      delete c.agentName;
      desk.print(`${tag} ${bold('erased')}: the customer's data was deleted; delete any copy of this conversation`);
      break;
    default:
      desk.print(dim(`${tag} ${e.type}: ${JSON.stringify(d)}`));
  }
}

/** A new handoff: queue, reason, contact, what the bot tried and the transcript. */
function handoffRequested(desk: Desk, c: Conversation, e: WebhookEvent): string {
  const d = e.data;
  Object.assign(c, {
    status: 'queued',
    queue: String(d.queue ?? ''),
    reason: String(d.reason ?? ''),
    language: String(d.language ?? ''),
    requestedAt: e.timestamp,
  });
  delete c.agentName;
  const lines = [
    `${bold(yellow('── new handoff'))} ${desk.tag(c)}  queue ${bold(c.queue ?? '?')} · reason ${bold(c.reason ?? '?')} · language ${bold(c.language ?? '?')}${d.channel ? ` · ${String(d.channel)}` : ''}  ${dim(c.id)}`,
  ];
  const contact = d.contact as { email?: string; phone?: string } | undefined;
  if (contact?.email || contact?.phone)
    lines.push(`   contact: ${[contact.email, contact.phone].filter(Boolean).join(', ')}`);
  if (Array.isArray(d.botTried) && d.botTried.length) lines.push(`   the bot tried: ${d.botTried.join(', ')}`);
  const transcript = Array.isArray(d.transcript) ? (d.transcript as TranscriptLine[]) : [];
  if (transcript.length) lines.push('   transcript:');
  for (const m of transcript) {
    const who = (m.from ?? '?').padEnd(8);
    // The customer's words in full; the bot's (long) answers clipped, the agent knows them.
    lines.push(
      `     ${dim(hhmm(m.at))} ${m.from === 'customer' ? bold(who) : dim(who)} ${m.from === 'customer' ? (m.text ?? '') : dim(clip(m.text ?? '', 160))}`,
    );
    if (m.from === 'customer' && m.text) c.lastCustomerText = m.text;
  }
  lines.push(dim(`   → /join ${c.n} to take it, then type "${c.n} <your answer>"`));
  return lines.join('\n');
}
