import type { AttachmentRef } from '../domain/types';
import type { DialogState } from '../domain/conversation';
import type { AskStep } from './schema';

/** A file (or a link typed instead) an attachment step has taken. */
export interface Taken {
  /** The stored attachment's id; none for a link. */
  id?: string;
  /** The file's name, or the link itself. */
  name: string;
  contentType?: string;
}

/** The most a link typed instead of a file may be (longer is not a link a customer pasted). */
const MAX_LINK = 2000;
const LINK = /^https?:\/\/[^\s<>"]+$/i;

/** A link typed instead of sending the file (http or https, nothing else in the message). */
export function isLink(text: string): boolean {
  const t = text.trim();
  return t.length <= MAX_LINK && LINK.test(t);
}

/** The slots an attachment step writes besides its own: the stored files' ids and how many were taken. */
export function derivedSlots(slot: string): [ids: string, count: string] {
  return [`${slot}Ids`, `${slot}Count`];
}

// Files taken while the step is still open wait in the slots under a key no slot name can have (see schema.ts),
// so the whole position stays in DialogState (strings only) and survives a restart.
const pendingKey = (slot: string) => `${slot}#files`;

/** Files taken so far at this open step. */
export function takenSoFar(s: DialogState, slot: string): Taken[] {
  const raw = s.slots[pendingKey(slot)];
  return raw ? (JSON.parse(raw) as Taken[]) : [];
}

export function keepTaken(s: DialogState, slot: string, taken: Taken[]): void {
  s.slots[pendingKey(slot)] = JSON.stringify(taken);
}

/**
 * Close the step with what it took: `<slot>` = the names (links as typed) joined with ", ", `<slot>Ids` = the stored
 * files' ids joined with spaces, `<slot>Count` = how many. Nothing taken (skipped): "", "" and "0".
 */
export function fillAttachmentSlot(s: DialogState, slot: string, taken: Taken[]): void {
  const [ids, count] = derivedSlots(slot);
  delete s.slots[pendingKey(slot)];
  s.slots[slot] = taken.map((t) => t.name).join(', ');
  s.slots[ids] = taken.flatMap((t) => (t.id ? [t.id] : [])).join(' ');
  s.slots[count] = String(taken.length);
}

/** Does the step take this content type? Its `accept` lists types (application/pdf) or families (image/*). */
export function acceptsType(step: AskStep, contentType: string): boolean {
  const type = contentType.toLowerCase().split(';')[0]!.trim();
  // No `accept`: whatever the channel accepted and stored (it checks types and sizes).
  if (!step.accept) return true;
  return step.accept.some((a) => (a.endsWith('/*') ? type.startsWith(a.slice(0, -1)) : type === a));
}

export const isImage = (f: { contentType?: string }) => (f.contentType ?? '').toLowerCase().startsWith('image/');

export function asTaken(f: AttachmentRef): Taken {
  return { id: f.id, name: f.name, contentType: f.contentType };
}

/** May the customer go on without a file (`optional: true` or `required: false`)? */
export const skippable = (step: AskStep) => step.optional === true || step.required === false;
