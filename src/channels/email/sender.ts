import { createHash } from 'node:crypto';
import { emailThreadKey, type OutboxEvent } from '../../domain/handoff';
import { isLang, type Lang } from '../../domain/types';
import type { MessageRecord } from '../../domain/conversation';
import type { Engine } from '../../engine/engine';
import type { OutboxSender, SendOutcome } from '../../handoff/delivery';
import type { ResumeLinks } from '../../handoff/resumeLink';
import type { OutboxStore, RateCounter } from '../../storage/ports';
import type { Mailer } from './mailer';
import { replyMail, transcriptMail, type MailContent } from './templates';

/** Message-IDs kept per conversation for References (the newest; a long thread keeps its recent part). */
const THREAD_KEPT = 20;
/** Messages in a mailed transcript at most (MAX_MESSAGES_PER_CONVERSATION's default). */
const TRANSCRIPT_MAX = 500;
const PAGE = 100;

export interface EmailSenderDeps {
  mailer: Mailer;
  engine: Pick<Engine, 'messagesPage'>;
  /** The settings that hold each conversation's thread (Message-IDs sent). */
  settings: Pick<OutboxStore, 'getSetting' | 'setSetting'>;
  /** Live streams (this process's and, with several instances, every one's): a reply read live is not mailed. */
  presence: { seenSince(conversationId: string, since: number): boolean | Promise<boolean> };
  /** The signed, expiring link back to the conversation (PUBLIC_URL/?conversation=&expires=&sig=), on any device. */
  links: Pick<ResumeLinks, 'url'>;
  /** The right side of every Message-ID (MAIL_FROM's domain). */
  domain: string;
  defaultLang: Lang;
  /**
   * Transcripts per recipient (keyed by the address's SHA-256, not the address): whoever types an address cannot
   * have the bot mail it more than this counter allows, whatever the number of conversations.
   */
  perRecipient: RateCounter;
}

/** Transcripts mailed to one address per day at most (MAX_TRANSCRIPT_MAILS per conversation besides). */
export const TRANSCRIPTS_PER_RECIPIENT_PER_DAY = 5;

interface EmailBody {
  timestamp?: string;
  data?: { to?: string; language?: string; agent?: string; text?: string; files?: number; until?: string };
}

/**
 * The mail worker's sender (outbox target 'email'): an agent's reply, unless the customer had a live stream open
 * since it arrived (then delivered, nothing sent), or the transcript asked for. One mail per event, its Message-ID
 * made from the event's webhook id (the same on a retry after a crash), threaded on the conversation's earlier mails.
 */
export class EmailSender implements OutboxSender {
  readonly endpoint: string;

  constructor(private readonly d: EmailSenderDeps) {
    this.endpoint = d.mailer.endpoint;
  }

  async send(e: OutboxEvent): Promise<SendOutcome> {
    const body = JSON.parse(e.body) as EmailBody;
    const to = body.data?.to;
    if (!to) return { ok: true }; // nothing to send to (not an email event): never retried
    if (e.type === 'email.reply' && (await this.d.presence.seenSince(e.conversationId, Date.parse(e.createdAt))))
      return { ok: true };
    const recipient = createHash('sha256').update(to.toLowerCase()).digest('hex');
    // Over the limit: dropped (delivered, nothing sent), so a typed stranger's address is not flooded.
    if (e.type === 'email.transcript' && !(await this.d.perRecipient.peek(recipient)).allowed) return { ok: true };
    const lang = isLang(body.data?.language) ? body.data.language : this.d.defaultLang;
    const thread = await this.thread(e.conversationId);
    const messageId = `<${e.webhookId}@${this.d.domain}>`;
    const earlier = thread.filter((id) => id !== messageId);
    const link = this.d.links.url(e.conversationId, new Date());
    const content = await this.content(e, body, lang, link, earlier.length > 0);
    if (!content) return { ok: true };
    try {
      await this.d.mailer.send({ to, ...content, messageId, references: earlier });
    } catch (err) {
      return { ok: false, gone: false, error: `mail to the SMTP server failed: ${(err as Error).message}` };
    }
    if (e.type === 'email.transcript') await this.d.perRecipient.hit(recipient);
    if (!thread.includes(messageId))
      await this.d.settings.setSetting(
        emailThreadKey(e.conversationId),
        JSON.stringify([...thread, messageId].slice(-THREAD_KEPT)),
      );
    return { ok: true };
  }

  private async content(
    e: OutboxEvent,
    body: EmailBody,
    lang: Lang,
    link: string,
    inThread: boolean,
  ): Promise<MailContent | undefined> {
    const d = body.data ?? {};
    if (e.type === 'email.reply')
      return replyMail(lang, { agent: d.agent ?? '', text: d.text ?? '', files: d.files ?? 0 }, link, inThread);
    if (e.type === 'email.transcript')
      return transcriptMail(
        lang,
        await this.transcript(e.conversationId, d.until ?? body.timestamp ?? ''),
        link,
        inThread,
      );
    return undefined;
  }

  /** The conversation's messages written until `until`, read a page at a time, at most TRANSCRIPT_MAX. */
  private async transcript(conversationId: string, until: string): Promise<MessageRecord[]> {
    const out: MessageRecord[] = [];
    for (let after = 0; out.length < TRANSCRIPT_MAX;) {
      const page = await this.d.engine.messagesPage(conversationId, { after, limit: PAGE });
      for (const m of page) if (m.at <= until && out.length < TRANSCRIPT_MAX) out.push(m);
      if (page.length < PAGE || page.at(-1)!.at > until) break;
      after = page.at(-1)!.id;
    }
    return out;
  }

  private async thread(conversationId: string): Promise<string[]> {
    const raw = await this.d.settings.getSetting(emailThreadKey(conversationId));
    try {
      const ids = raw ? (JSON.parse(raw) as unknown) : [];
      return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }
}
