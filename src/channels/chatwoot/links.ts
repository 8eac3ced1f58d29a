import { chatwootBackKey, chatwootLinkKey } from '../../domain/settings';
import type { OutboxStore } from '../../storage/ports';

/**
 * What ties one of our conversations to Chatwoot, kept in the `settings` table (no table of its own):
 * `chatwoot.conversation:<our id>` holds the link below, `chatwoot.cw:<Chatwoot conversation id>` our id back.
 * Each step of a handoff is saved as soon as it is done, so that a retried delivery resumes where it stopped
 * instead of creating a second contact, conversation or transcript note. The way back of a superseded Chatwoot
 * conversation is deleted when a new one is linked, so that an erasure finds the one row left through the link.
 */
export interface ChatwootLink {
  /** The handoff the Chatwoot conversation was opened for; a new handoff opens a new conversation. */
  handoffId: string;
  contactId?: number;
  sourceId?: string;
  /** The Chatwoot conversation's display id (the one in URLs and webhooks). */
  conversationId?: number;
  /** The transcript note is posted. */
  noted?: boolean;
}

export type LinkStore = Pick<OutboxStore, 'getSetting' | 'setSetting'>;

const forward = chatwootLinkKey;
const back = chatwootBackKey;

export class ChatwootLinks {
  constructor(private readonly store: LinkStore) {}

  async get(ours: string): Promise<ChatwootLink | undefined> {
    const raw = await this.store.getSetting(forward(ours));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as ChatwootLink;
    } catch {
      return undefined;
    }
  }

  async save(ours: string, link: ChatwootLink): Promise<void> {
    const before = (await this.get(ours))?.conversationId;
    if (before !== undefined && before !== link.conversationId) await this.store.setSetting(back(before), null);
    await this.store.setSetting(forward(ours), JSON.stringify(link));
    if (link.conversationId !== undefined) await this.store.setSetting(back(link.conversationId), ours);
  }

  /**
   * Our conversation for a Chatwoot conversation, only while that Chatwoot conversation is the one of its current
   * handoff: a late webhook about an older handoff's conversation changes nothing.
   */
  async ours(cw: number): Promise<string | undefined> {
    const id = await this.store.getSetting(back(cw));
    if (!id) return undefined;
    return (await this.get(id))?.conversationId === cw ? id : undefined;
  }
}
