import type { OutboxEvent } from '../../domain/handoff';
import { parseRetryAfter, type OutboxSender, type SendOutcome } from '../../handoff/delivery';
import { ChatwootApi, ChatwootApiError } from './api';
import { ChatwootLinks, type ChatwootLink } from './links';
import { closedNote, customerText, transcriptNote, type CustomerMessageData, type HandoffData } from './note';

export interface ChatwootSenderOptions {
  api: ChatwootApi;
  links: ChatwootLinks;
  inboxId: number;
  /** For logs (no credentials). */
  endpoint: string;
  now?: () => Date;
}

/** Set on the Chatwoot conversation: our conversation id, for agents and for the webhook's fallback lookup. */
export const CONVERSATION_ATTRIBUTE = 'savbot_conversation_id';

/**
 * Delivers the 'chatwoot' outbox events (the DeliveryWorker keeps their order, retries and dead letters):
 * handoff.requested creates or reuses the contact, opens a conversation in the inbox and posts the transcript as a
 * private note; conversation.message posts the customer's message as `incoming`; a customer's cancel resolves the
 * Chatwoot conversation. Our own posts come back as webhooks, but never as outgoing public messages: no loop.
 */
export class ChatwootSender implements OutboxSender {
  readonly endpoint: string;
  private readonly now: () => Date;

  constructor(private readonly o: ChatwootSenderOptions) {
    this.endpoint = o.endpoint;
    this.now = o.now ?? (() => new Date());
  }

  async send(e: OutboxEvent): Promise<SendOutcome> {
    let data: Record<string, unknown>;
    try {
      data = (JSON.parse(e.body) as { data?: Record<string, unknown> }).data ?? {};
    } catch {
      return { ok: false, gone: false, error: `outbox event ${e.id}: body is not JSON` };
    }
    try {
      if (e.type === 'handoff.requested') await this.handoff(e.conversationId, data as unknown as HandoffData);
      else if (e.type === 'conversation.message')
        await this.message(e.conversationId, data as unknown as CustomerMessageData);
      else if (e.type === 'conversation.closed') await this.closed(e.conversationId, data);
      return { ok: true };
    } catch (err) {
      if (!(err instanceof ChatwootApiError)) throw err;
      const retryAfterMs = parseRetryAfter(err.retryAfter, this.now());
      return {
        ok: false,
        gone: false,
        error: err.message,
        ...(err.status !== undefined ? { status: err.status } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
  }

  /** Contact, conversation, note: each step saved when done, so a retry resumes after the last one. */
  private async handoff(ours: string, d: HandoffData): Promise<void> {
    const before = await this.o.links.get(ours);
    let link: ChatwootLink =
      before?.handoffId === d.handoffId
        ? before
        : {
            handoffId: d.handoffId,
            ...(before?.contactId !== undefined ? { contactId: before.contactId } : {}),
            ...(before?.sourceId ? { sourceId: before.sourceId } : {}),
          };
    if (link.contactId === undefined) {
      link = { ...link, ...(await this.contact(ours, d)) };
      await this.o.links.save(ours, link);
    }
    if (link.conversationId === undefined) {
      const c = await this.o.api.createConversation({
        inbox_id: this.o.inboxId,
        contact_id: link.contactId!,
        ...(link.sourceId ? { source_id: link.sourceId } : {}),
        status: 'open',
        custom_attributes: { [CONVERSATION_ATTRIBUTE]: ours },
      });
      link = { ...link, conversationId: c.id };
      await this.o.links.save(ours, link);
    }
    if (!link.noted) {
      await this.o.api.createMessage(link.conversationId!, {
        content: transcriptNote(d),
        message_type: 'outgoing',
        private: true,
      });
      await this.o.links.save(ours, { ...link, noted: true });
    }
  }

  /** The customer's contact: the one with their email when Chatwoot knows it, else a new one in our inbox. */
  private async contact(ours: string, d: HandoffData): Promise<{ contactId: number; sourceId?: string }> {
    const email = d.contact?.email?.toLowerCase();
    if (email) {
      const found = (await this.o.api.searchContacts(email)).find((c) => c.email?.toLowerCase() === email);
      if (found) {
        const sourceId = found.contact_inboxes?.find((ci) => ci.inbox?.id === this.o.inboxId)?.source_id;
        return { contactId: found.id, ...(sourceId ? { sourceId } : {}) };
      }
    }
    const c = await this.o.api.createContact({
      inbox_id: this.o.inboxId,
      name: email ?? d.contact?.phone ?? `Customer ${ours.slice(0, 8)}`,
      ...(email ? { email } : {}),
      ...(d.contact?.phone ? { phone_number: d.contact.phone } : {}),
      custom_attributes: { [CONVERSATION_ATTRIBUTE]: ours },
    });
    return { contactId: c.id, ...(c.sourceId ? { sourceId: c.sourceId } : {}) };
  }

  private async message(ours: string, d: CustomerMessageData): Promise<void> {
    const link = await this.current(ours, d.handoffId);
    await this.o.api.createMessage(link, { content: customerText(d), message_type: 'incoming', private: false });
  }

  /** The customer cancelled: say so and resolve. Closed by the agents (resolved in Chatwoot): nothing to tell. */
  private async closed(ours: string, d: Record<string, unknown>): Promise<void> {
    if (d.reason === 'completed') return;
    const link = await this.current(ours, String(d.handoffId));
    await this.o.api.createMessage(link, {
      content: closedNote(typeof d.reason === 'string' ? d.reason : undefined),
      message_type: 'outgoing',
      private: true,
    });
    await this.o.api.setStatus(link, 'resolved');
  }

  /** The Chatwoot conversation of this handoff (its handoff.requested is delivered first: same target, in order). */
  private async current(ours: string, handoffId: string): Promise<number> {
    const link = await this.o.links.get(ours);
    if (link?.handoffId !== handoffId || link.conversationId === undefined)
      throw new ChatwootApiError(`no Chatwoot conversation yet for handoff ${handoffId} of conversation ${ours}`);
    return link.conversationId;
  }
}
