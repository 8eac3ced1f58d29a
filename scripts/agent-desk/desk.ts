import { bold, clip, cyan, dim, red, since } from './format';

export interface Conversation {
  n: number;
  id: string;
  status: 'queued' | 'active' | 'closed' | 'unknown';
  queue?: string;
  reason?: string;
  language?: string;
  requestedAt?: string;
  agentName?: string;
  lastSeq: number;
  lastCustomerText?: string;
}

/** The conversations the desk knows, by short number and by id, and how it prints (above the prompt). */
export class Desk {
  private readonly byNumber = new Map<number, Conversation>();
  private readonly byId = new Map<string, Conversation>();
  private numbered = 0;

  constructor(
    readonly print: (text: string) => void,
    readonly name: string,
  ) {}

  conversation(id: string): Conversation {
    let c = this.byId.get(id);
    if (!c) {
      c = { n: ++this.numbered, id, status: 'unknown', lastSeq: 0 };
      this.byNumber.set(c.n, c);
      this.byId.set(id, c);
    }
    return c;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  forget(c: Conversation): void {
    this.byId.delete(c.id);
    this.byNumber.delete(c.n);
  }

  tag(c: Conversation): string {
    return bold(cyan(`#${c.n}`));
  }

  /** "3" (the desk's number) or a full conversation id. */
  target(ref: string | undefined): Conversation | undefined {
    if (!ref) {
      this.print(red('which conversation? Give its number (see /list).'));
      return undefined;
    }
    const c = /^\d+$/.test(ref) ? this.byNumber.get(Number(ref)) : this.byId.get(ref);
    if (c) return c;
    // A conversation handed off before the desk started: its full id works.
    if (!/^\d+$/.test(ref) && /^[\w-]{8,100}$/.test(ref)) return this.conversation(ref);
    this.print(red(`no conversation #${ref}: /list shows the open ones.`));
    return undefined;
  }

  list(): void {
    const open = [...this.byNumber.values()].filter((c) => c.status !== 'closed');
    if (!open.length) return this.print(dim('No open handoff. New ones show up here as they come.'));
    const rows = open.map((c) => {
      const who =
        c.status === 'active'
          ? `with ${c.agentName ?? '?'}`
          : c.status === 'queued'
            ? `waiting ${since(c.requestedAt)}`
            : 'unknown';
      return `${this.tag(c)}  ${c.status.padEnd(7)} ${who.padEnd(16)} ${(c.queue ?? '').padEnd(9)} ${(c.reason ?? '').padEnd(16)} ${(c.language ?? '').padEnd(2)}  ${dim(clip(c.lastCustomerText ?? '', 60))}`;
    });
    this.print(rows.join('\n'));
  }
}
