import type { Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import type { DialogTurn } from '../dialogs/runner';
import { queueFor } from '../handoff/policy';
import type { EngineCore } from './core';
import { askCsat } from './csat';

/** Start a dialog (any dialog under way is replaced). */
export async function startDialog(
  core: EngineCore,
  state: ConversationState,
  dialogId: string,
  lang: Lang,
  text: string,
): Promise<Reply[]> {
  const step = await core.c.dialogs!.start(dialogId, lang, text);
  return afterDialog(core, state, step);
}

/** Take a dialog step into the conversation: its state, a handoff when it ends in one, CSAT when it resolved. */
export function afterDialog(core: EngineCore, state: ConversationState, step: DialogTurn): Reply[] {
  const dialogId =
    state.dialog?.dialogId ??
    step.replies.find((r) => r.source.kind === 'dialog' || r.source.kind === 'handoff')?.source.id;
  state.dialog = step.state;
  const replies = [...step.replies];
  const queue = queueFor(dialogId);
  if (step.ended === 'handoff') core.requestHandoff(state, 'content', queue);
  else if (step.ended === 'failed') core.requestHandoff(state, 'dialog-failed', queue);
  else if (step.ended === 'lookup-failed') core.requestHandoff(state, 'lookup-failed', queue);
  if (step.ended === 'resolved') {
    const lang = replies[0]?.lang ?? state.lang ?? core.options.defaultLang;
    replies.push(askCsat(state, lang));
  }
  return replies;
}
