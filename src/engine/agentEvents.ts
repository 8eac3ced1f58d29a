import { AppError } from '../domain/errors';
import type { Lang } from '../domain/types';
import type { ConversationState, NewMessage } from '../domain/conversation';
import type { HandoffState } from '../domain/handoff';
import { HANDOFF_MESSAGES } from '../handoff/messages';
import type { EngineCore } from './core';
import { mailAgentReply } from './email';
import { completeHandoff } from './handoffFlow';
import { clip } from './quota';
import type { AgentEvent, TurnContext } from './types';

/**
 * An agent's event: join, message, typing, or hand the conversation back to the bot. The conversation is read once;
 * the new state, the messages, the events and the webhook id (`inboundId`, refused when already seen) are saved
 * together, then announced with origin 'agent'.
 */
export async function agentEvent(core: EngineCore, e: AgentEvent, inboundId?: string): Promise<void> {
  const state = await core.store.get(e.conversationId);
  if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${e.conversationId}" not found`, 404);
  if (!state.handoff)
    throw new AppError('NOT_WITH_AGENT', `conversation "${e.conversationId}" is not handed off to a person`, 409);
  if (e.type === 'agent.message') e = { ...e, text: clip(core, e.text) };
  const h = state.handoff;
  const lang = state.lang ?? h.lang;
  const now = core.now().toISOString();
  if (e.type === 'agent.typing') {
    if (inboundId !== undefined && !(await core.store.rememberInbound(inboundId, core.now())))
      throw new AppError('REPLAYED', `webhook id "${inboundId}" was already received`, 409);
    core.events.emit('typing', state.id, e.agent.name);
    // Streams held by other instances show it too (not stored: told through the change feed, when there is one).
    await core.store.changes?.signal({ conversationId: state.id, typing: e.agent.name });
    return;
  }
  const c = core.ctx(state);
  if (e.type === 'agent.message')
    mailAgentReply(core, state, { text: e.text, agent: e.agent.name, at: now, files: e.attachments?.length ?? 0 });
  const messages = changes(core, state, e, lang, now);
  state.updatedAt = now;
  let saved;
  try {
    saved = await core.store.saveTurn(state, messages, {
      events: core.outboxEvents(c),
      ...(c.joined ? { joined: c.joined } : {}),
      ...(inboundId !== undefined ? { inboundId } : {}),
    });
  } finally {
    core.forget(state);
  }
  core.observeSaved(saved);
  core.events.emit('message', state.id, saved, 'agent');
}

/** What the event changes in the conversation; the messages to store. */
function changes(
  core: EngineCore,
  state: ConversationState,
  e: Exclude<AgentEvent, { type: 'agent.typing' }>,
  lang: Lang,
  now: string,
): NewMessage[] {
  const h = state.handoff!;
  const c = core.ctx(state);
  switch (e.type) {
    case 'agent.joined':
      return join(c, h, lang, e.agent.name, now);
    case 'agent.message':
      return [
        ...join(c, h, lang, e.agent.name, now),
        {
          at: now,
          from: 'agent',
          text: e.text,
          source: { kind: 'agent', id: e.agent.name },
          ...(e.attachments?.length ? { attachments: e.attachments } : {}),
        },
      ];
    case 'handoff.completed':
      return completeHandoff(core, state, lang, now, e.note);
    default:
      state.offered = undefined;
      return [];
  }
}

/**
 * An agent takes the conversation (a first join ends the wait: its delay feeds the wait estimates); the customer is
 * told who. Nothing when this agent is already in charge.
 */
function join(c: TurnContext, h: HandoffState, lang: Lang, name: string, now: string): NewMessage[] {
  if (h.status === 'active' && h.agentName === name) return [];
  if (h.status === 'queued') c.joined = { queue: h.queue, requestedAt: h.requestedAt, joinedAt: now };
  h.status = 'active';
  h.joinedAt ??= now;
  h.agentName = name;
  return [{ at: now, from: 'bot', text: HANDOFF_MESSAGES[lang].joined(name), source: { kind: 'agent', id: name } }];
}
