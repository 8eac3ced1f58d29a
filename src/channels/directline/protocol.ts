import { AppError } from '../../domain/errors';
import type { AttachmentService } from '../../attachments/service';
import type { AttachmentRef, Lang } from '../../domain/types';
import type { AttachmentLinks } from '../../handoff/attachmentLink';
import type { Engine } from '../../engine/engine';
import type { ConversationState, MessageRecord } from '../../domain/conversation';
import { buttonPolicy, recordActivity, type ActivityJson, type AttachmentJson } from '../activity';
import type { TrafficLimits } from '../limits';
import type { StreamSettings } from '../streams';
import type { DirectLineTokens } from './tokens';

export const CHANNEL = 'directline';
export const BASE = '/v3/directline';
const POLICY = buttonPolicy(CHANNEL);

/** What every part of the Direct Line endpoint works with. */
export interface DirectLineContext {
  engine: Engine;
  tokens: DirectLineTokens;
  /** Language of the welcome (and of replayed messages) when neither the client nor the conversation gives one. */
  defaultLang: Lang;
  /** Name shown for the bot's messages (agents' messages carry the agent's name). */
  botName: string;
  /** How often an open stream looks for messages written by other instances. */
  pollMs: number;
  /** New conversations and messages (none when absent). */
  limits?: TrafficLimits;
  /** Limits and pacing of the WebSocket streams; GET activities pages by `pageSize` too. */
  streams: StreamSettings;
  pageSize: number;
  /** Customers' and agents' files: uploads, and the signed URLs of the files on activities (none when absent). */
  files?: DirectLineFiles;
  now?: () => Date;
}

export interface DirectLineFiles {
  service: AttachmentService;
  links: AttachmentLinks;
  /** PUBLIC_URL: the base of the files' URLs on activities (Web Chat loads them with <img>, no token). */
  publicUrl: string;
}

/** Where Web Chat downloads a file: under /v3/directline (CORS and CORP for other sites' pages), signed. */
export const attachmentRoute = `${BASE}/conversations/:id/attachments/:attachmentId`;

/**
 * A stored file as an activity's attachment: a signed, expiring URL of ours (the links of the handoff webhook,
 * same key and lifetime) that an <img> can load, so Web Chat shows images inline and other files as downloads.
 */
export function attachmentJson(
  files: DirectLineFiles,
  conversationId: string,
  a: AttachmentRef,
  now: Date,
): AttachmentJson {
  const signed = new URL(files.links.url(conversationId, a.id, now));
  const path = `${BASE}/conversations/${encodeURIComponent(conversationId)}/attachments/${encodeURIComponent(a.id)}`;
  const contentUrl = `${files.publicUrl}${path}${signed.search}`;
  // Web Chat shows a customer's own file inline only with a thumbnail (else as a download link): images are theirs.
  const image = a.contentType.startsWith('image/');
  return { contentType: a.contentType, contentUrl, name: a.name, ...(image ? { thumbnailUrl: contentUrl } : {}) };
}

/** Direct Line watermarks are message ids as strings; absent, empty or "-" means from the start. */
export function watermarkOf(raw: unknown): number {
  if (raw === undefined || raw === '' || raw === '-') return 0;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0)
    throw new AppError(
      'INVALID_QUERY',
      `watermark must be a message id (a non-negative integer), not "${String(raw)}"`,
      400,
    );
  return n;
}

/** The conversation a token names; 404 when it is gone (for calls that do not go through engine.handle). */
export async function existing(ctx: DirectLineContext, conversationId: string): Promise<ConversationState> {
  const state = await ctx.engine.getConversation(conversationId);
  if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${conversationId}" not found`, 404);
  return state;
}

/**
 * Stored messages as activities: the customer's own with their user id and clientActivityID (Web Chat waits for
 * this echo to mark a message sent), the bot's and agents' from "bot" with the right name.
 */
export function activitiesOf(
  ctx: Pick<DirectLineContext, 'botName' | 'files' | 'now'>,
  records: MessageRecord[],
  conversationId: string,
  user: string,
  lang: Lang,
): ActivityJson[] {
  const now = ctx.now?.() ?? new Date();
  return records.map((m) => {
    const a = recordActivity(m, lang, POLICY);
    const files = ctx.files;
    if (files && m.attachments?.length)
      a.attachments = m.attachments.map((f) => attachmentJson(files, conversationId, f, now));
    a.channelId = CHANNEL;
    a.conversation = { id: conversationId };
    if (m.from === 'customer') {
      a.from = { id: user, role: 'user' };
      if (m.clientId) a.channelData = { ...a.channelData, clientActivityID: m.clientId };
    } else {
      a.from = { id: 'bot', name: m.from === 'agent' ? m.source?.id || ctx.botName : ctx.botName, role: 'bot' };
      a.recipient = { id: user, role: 'user' };
    }
    return a;
  });
}
