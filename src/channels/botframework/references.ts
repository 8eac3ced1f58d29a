import type { ChannelRef } from '../../domain/conversation';
import type { ActivityJson } from '../activity';

/** Teams puts the tenant in channelData; other channels may put it on the conversation. */
function tenantOf(a: ActivityJson): string | undefined {
  const tenant = (a.channelData?.tenant as { id?: unknown } | undefined)?.id;
  return a.conversation?.tenantId ?? (typeof tenant === 'string' ? tenant : undefined);
}

/** Where to write back to the sender of `a` later (SDK-neutral: stored as is). */
export function refOf(a: ActivityJson, conversationId: string, at: Date): ChannelRef {
  const c = a.conversation!;
  const tenantId = tenantOf(a);
  return {
    conversationId,
    channelId: a.channelId!,
    serviceUrl: a.serviceUrl!,
    conversation: {
      id: c.id,
      ...(c.conversationType ? { conversationType: c.conversationType } : {}),
      ...(tenantId ? { tenantId } : {}),
      ...(c.isGroup !== undefined ? { isGroup: c.isGroup } : {}),
    },
    bot: { id: a.recipient?.id ?? '', ...(a.recipient?.name ? { name: a.recipient.name } : {}) },
    user: {
      id: a.from?.id ?? '',
      ...(a.from?.name ? { name: a.from.name } : {}),
      ...(a.from?.aadObjectId ? { aadObjectId: a.from.aadObjectId } : {}),
    },
    ...(a.locale ? { locale: a.locale } : {}),
    updatedAt: at.toISOString(),
  };
}

/** True when `next` addresses the customer differently from `stored` (worth writing). */
export function refChanged(stored: ChannelRef, next: ChannelRef): boolean {
  const strip = ({ updatedAt: _u, conversationId: _c, ...r }: ChannelRef) => JSON.stringify(r);
  return strip(stored) !== strip(next);
}

/** The Activity protocol's conversation reference (what the SDK's continueConversation takes). */
export function conversationReference(ref: ChannelRef) {
  return {
    channelId: ref.channelId,
    serviceUrl: ref.serviceUrl,
    conversation: ref.conversation,
    agent: ref.bot,
    user: ref.user,
    ...(ref.locale ? { locale: ref.locale } : {}),
  };
}
