import { deskClaimKey, deskNotesKey } from './desk';
import { emailOfferKey, emailThreadKey, presenceKey } from './handoff';

// Settings keyed by one conversation, named here so that its erasure finds every one of them.

/** Its welcome, sent once across instances. */
export const welcomeKey = (conversationId: string) => `welcome:${conversationId}`;
/** The last queue position and wait told to its customer. */
export const queueToldKey = (conversationId: string) => `queue-told:${conversationId}`;
/** Its link to a Chatwoot conversation (channels/chatwoot/links.ts). */
export const chatwootLinkKey = (conversationId: string) => `chatwoot.conversation:${conversationId}`;
/** The way back: a Chatwoot conversation id to ours (its value is our conversation id). */
export const chatwootBackKey = (chatwootId: number) => `chatwoot.cw:${chatwootId}`;

/** The handoff id an outbox event's body names (data.handoffId), if any. */
export function handoffIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { data?: { handoffId?: unknown } }).data?.handoffId;
    return typeof id === 'string' && id ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The Chatwoot way-back key a stored link names (its Chatwoot conversation), if any. */
export function chatwootBackKeyOf(link: string | undefined): string | undefined {
  if (!link) return undefined;
  try {
    const cw = (JSON.parse(link) as { conversationId?: unknown }).conversationId;
    return typeof cw === 'number' && Number.isInteger(cw) ? chatwootBackKey(cw) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The settings an erasure of `conversationId` deletes, given the handoffs it had (their desk claims). The Chatwoot
 * way-back row is apart (`chatwootBackKeyOf` the link): it is deleted only while its value is this conversation.
 */
export function conversationSettingKeys(conversationId: string, handoffIds: Iterable<string>): string[] {
  return [
    deskNotesKey(conversationId),
    emailThreadKey(conversationId),
    emailOfferKey(conversationId),
    presenceKey(conversationId),
    welcomeKey(conversationId),
    queueToldKey(conversationId),
    chatwootLinkKey(conversationId),
    ...[...new Set(handoffIds)].map((h) => deskClaimKey(conversationId, h)),
  ];
}
