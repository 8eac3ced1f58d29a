import type { Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import type { DialogTurn } from '../dialogs/runner';
import { queueFor } from '../handoff/policy';
import type { EngineCore } from './core';
import { askCsat } from './csat';

/**
 * Start a dialog (any dialog under way is replaced). `answer` is the starting entry's own answer: given first when
 * the message asks exactly that ("how many days do I have to return it?"), without its buttons since the dialog
 * goes on at once.
 */
export async function startDialog(
  core: EngineCore,
  state: ConversationState,
  dialogId: string,
  lang: Lang,
  text: string,
  answer?: Reply,
): Promise<Reply[]> {
  const dialogs = core.c.dialogs!;
  const step = await dialogs.start(dialogId, lang, text);
  const replies = afterDialog(core, state, step);
  if (!answer || !dialogs.answersFirst(dialogId, text, lang)) return replies;
  const { suggestions: _buttons, ...plain } = answer;
  return [plain, ...replies];
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
  if (step.ended === 'resolved' && step.csat !== false) {
    const lang = replies[0]?.lang ?? state.lang ?? core.options.defaultLang;
    replies.push(askCsat(state, lang));
  }
  return replies;
}
