/** The widget HTTP API's shapes, as the browser sees them (DESIGN.md "Widget HTTP API"). */
export interface Suggestion {
  label: string;
  value: string;
}
export interface Source {
  kind: string;
  id?: string;
}
export interface Message {
  id: number;
  at: string;
  from: 'customer' | 'bot' | 'agent';
  text: string;
  action?: string;
  source?: Source;
  suggestions?: Suggestion[];
  /** A bot reply's language: the widget's own words follow it. */
  lang?: 'fr' | 'ro' | 'en';
  /** Ask "was this helpful?" under this answer (its entry is source.id). */
  feedback?: boolean;
  /** Files sent with the message (by the customer or an agent). */
  attachments?: Attachment[];
}
export interface Attachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
}
export interface Queue {
  status: 'bot' | 'queued' | 'active';
  position?: number;
  estimatedWaitMs?: number;
  open?: boolean;
  agentName?: string;
}
export interface Conversation {
  conversationId: string;
  token: string;
}
export type Body = { text: string } | { action: string; text: string };
