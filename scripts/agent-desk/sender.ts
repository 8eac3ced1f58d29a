import { randomBytes } from 'node:crypto';
import type { Webhook } from 'standardwebhooks';
import type { Conversation, Desk } from './desk';
import { dim, red } from './format';

/** What a refusal from the bot means for the agent. */
function hintFor(status: number, code: string): string {
  if (status === 401)
    return 'the bot refused the signature: AGENT_WEBHOOK_SECRET must be the same for the bot and the desk, and both clocks right';
  if (status === 404) return 'the bot does not know this conversation (another bot or database?)';
  if (code === 'NOT_WITH_AGENT')
    return 'this conversation is no longer waiting for a person (handed back, or cancelled by the customer)';
  if (code === 'REPLAYED') return 'the bot already received this event';
  if (status === 413) return 'too long for the bot (MAX_BODY_BYTES)';
  return '';
}

/** Sends the agent's events to the bot's POST /api/agent/events, signed (Standard Webhooks). */
export class AgentEventSender {
  constructor(
    private readonly desk: Desk,
    private readonly bot: string,
    private readonly outgoing: Webhook,
  ) {}

  /** Send one signed agent event; true when the bot accepted it. */
  async send(c: Conversation, event: Record<string, unknown>): Promise<boolean> {
    const body = JSON.stringify(event);
    const id = `msg_${randomBytes(16).toString('base64url')}`;
    const now = new Date();
    let res: Response;
    try {
      res = await fetch(`${this.bot}/api/agent/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': this.outgoing.sign(id, now, body),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      this.desk.print(
        red(
          `✗ ${this.desk.tag(c)} cannot reach the bot at ${this.bot}: ${cause?.code ?? cause?.message ?? (e as Error).message}. Is it running (npm start)? Otherwise pass --bot.`,
        ),
      );
      return false;
    }
    if (res.status === 202) return true;
    await this.refused(c, res);
    return false;
  }

  private async refused(c: Conversation, res: Response): Promise<void> {
    let code = '';
    let message = '';
    try {
      const j = (await res.json()) as { error?: { code?: string; message?: string } };
      code = j.error?.code ?? '';
      message = j.error?.message ?? '';
    } catch {
      /* not JSON */
    }
    const hint = hintFor(res.status, code);
    if (code === 'NOT_WITH_AGENT') c.status = 'closed';
    // An id typed by hand that the bot does not know: forget it.
    if (res.status === 404 && c.status === 'unknown' && c.lastSeq === 0) this.desk.forget(c);
    this.desk.print(
      red(
        `✗ ${this.desk.tag(c)} the bot answered ${res.status}${code ? ` ${code}` : ''}${hint ? `: ${hint}` : ''}${message ? dim(` (${message})`) : ''}`,
      ),
    );
  }
}
