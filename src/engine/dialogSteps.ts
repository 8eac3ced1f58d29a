import type { AttachmentRef, Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import type { DialogTurn } from '../dialogs/runner';
import { isImage } from '../dialogs/attachments';
import { DIALOG_MESSAGES } from '../dialogs/messages';
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
  const step = await core.c.dialogs!.start(dialogId, lang, text, takeFiles(core, state));
  return afterDialog(core, state, step);
}

/** The files of the message, for the one part of the turn that takes them (a dialog step, an acknowledgement). */
export function takeFiles(core: EngineCore, state: ConversationState): AttachmentRef[] {
  const c = core.ctx(state);
  const files = c.attachments ?? [];
  delete c.attachments;
  return files;
}

/** "Photo « colis.jpg » received." for files no dialog took. */
export function filesReceived(files: AttachmentRef[], lang: Lang): Reply {
  const text = DIALOG_MESSAGES[lang].received(
    files.map((f) => f.name),
    files.every(isImage),
  );
  return { text, source: { kind: 'smalltalk', id: 'attachment' }, lang };
}

/**
 * Files sent with nothing asked: acknowledged by name, with the requests that take such files and a person offered
 * (the files stay in the conversation, where an agent sees them).
 */
export function filesWithoutRequest(core: EngineCore, files: AttachmentRef[], lang: Lang): Reply {
  const dialogs = core.c.dialogs;
  const m = DIALOG_MESSAGES[lang];
  const ids = dialogs?.takingFiles(files.map((f) => f.contentType)) ?? [];
  const received = filesReceived(files, lang);
  return {
    ...received,
    text: `${received.text} ${m.fileNoRequest}`,
    suggestions: [
      ...ids.map((id) => ({ label: dialogs!.title({ dialogId: id }, lang), value: `dialog:${id}` })),
      { label: m.talkToPerson, value: 'handoff' },
    ],
  };
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
