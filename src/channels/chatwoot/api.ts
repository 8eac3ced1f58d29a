/**
 * The few calls of Chatwoot's application API the bot makes (app/controllers/api/v1/accounts/contacts_controller.rb,
 * conversations_controller.rb, conversations/messages_controller.rb and their jbuilder views), authenticated by
 * the `api_access_token` header. Any answer but 2xx is a ChatwootApiError carrying the status (and Retry-After).
 */

export interface ChatwootApiOptions {
  /** CHATWOOT_URL, without a trailing slash. */
  url: string;
  accountId: number;
  apiToken: string;
  /** Per request; the delivery worker's lease must be longer than the calls of one event. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A contact as the contacts endpoints show it (api/v1/models/_contact.json.jbuilder), the fields used here. */
export interface ChatwootContact {
  id: number;
  email?: string | null;
  phone_number?: string | null;
  contact_inboxes?: { source_id: string; inbox?: { id: number } | null }[];
}

export interface NewContact {
  inbox_id: number;
  name: string;
  email?: string;
  phone_number?: string;
  custom_attributes?: Record<string, string>;
}

export interface NewConversation {
  inbox_id: number;
  contact_id: number;
  source_id?: string;
  status: 'open' | 'pending';
  custom_attributes?: Record<string, string>;
}

export interface NewMessage {
  content: string;
  message_type: 'incoming' | 'outgoing';
  private: boolean;
}

export class ChatwootApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfter?: string | null,
  ) {
    super(message);
    this.name = 'ChatwootApiError';
  }
}

/** Longest answer read from Chatwoot (a contact search answers a page of contacts). */
const MAX_ANSWER_CHARS = 1_000_000;

export class ChatwootApi {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly o: ChatwootApiOptions) {
    this.base = `${o.url}/api/v1/accounts/${o.accountId}`;
    this.fetch = o.fetch ?? fetch;
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  /** Contacts matching `q` (name, email, phone, identifier), first page. */
  async searchContacts(q: string): Promise<ChatwootContact[]> {
    const r = await this.call<{ payload?: ChatwootContact[] }>('GET', `/contacts/search?q=${encodeURIComponent(q)}`);
    return Array.isArray(r.payload) ? r.payload : [];
  }

  /** A new contact with a contact inbox in `inbox_id`: its id and that inbox's source id. */
  async createContact(c: NewContact): Promise<{ id: number; sourceId?: string }> {
    const r = await this.call<{
      payload?: { contact?: { id?: number }; contact_inbox?: { source_id?: string | null } };
    }>('POST', '/contacts', c);
    const id = r.payload?.contact?.id;
    if (typeof id !== 'number')
      throw new ChatwootApiError('Chatwoot answered POST /contacts without payload.contact.id');
    const sourceId = r.payload?.contact_inbox?.source_id ?? undefined;
    return sourceId ? { id, sourceId } : { id };
  }

  /** A new conversation; its `id` is the display id the other endpoints and the webhooks use. */
  async createConversation(c: NewConversation): Promise<{ id: number }> {
    const r = await this.call<{ id?: number }>('POST', '/conversations', c);
    if (typeof r.id !== 'number') throw new ChatwootApiError('Chatwoot answered POST /conversations without an id');
    return { id: r.id };
  }

  async createMessage(conversationId: number, m: NewMessage): Promise<{ id: number }> {
    const r = await this.call<{ id?: number }>('POST', `/conversations/${conversationId}/messages`, m);
    if (typeof r.id !== 'number')
      throw new ChatwootApiError(`Chatwoot answered a message in conversation ${conversationId} without an id`);
    return { id: r.id };
  }

  async setStatus(conversationId: number, status: 'open' | 'resolved'): Promise<void> {
    await this.call('POST', `/conversations/${conversationId}/toggle_status`, { status });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers: {
          api_access_token: this.o.apiToken,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ChatwootApiError(`${method} ${path}: ${(e as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok)
      throw new ChatwootApiError(
        `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`.trim(),
        res.status,
        res.headers.get('retry-after'),
      );
    if (text.length > MAX_ANSWER_CHARS)
      throw new ChatwootApiError(`${method} ${path}: answer of ${text.length} characters is too long`, res.status);
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch {
      throw new ChatwootApiError(`${method} ${path}: answer is not JSON`, res.status);
    }
  }
}
