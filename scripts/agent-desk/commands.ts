import type { Desk } from './desk';
import { dim, green, HELP, red } from './format';
import type { AgentEventSender } from './sender';

/** The agent's commands; `run` returns false when the agent leaves. */
export class Commands {
  constructor(
    private readonly desk: Desk,
    private readonly sender: AgentEventSender,
  ) {}

  async run(line: string): Promise<boolean> {
    const text = line.trim();
    if (!text) return true;
    const [head = '', ...rest] = text.split(/\s+/);
    const arg = (i: number) => text.split(/\s+/).slice(i).join(' ');
    if (/^\d+$/.test(head) || (!head.startsWith('/') && this.desk.has(head))) return this.say(head, arg(1));
    switch (head.toLowerCase()) {
      case '/quit':
      case '/exit':
        return false;
      case '/help':
      case '/?':
        this.desk.print(HELP);
        return true;
      case '/list':
      case '/ls':
        this.desk.list();
        return true;
      case '/say':
        return this.say(rest[0], arg(2));
      case '/join':
        return this.join(rest[0], arg(2));
      case '/typing':
        return this.typing(rest[0]);
      case '/close':
        return this.close(rest[0], arg(2));
      default:
        this.desk.print(
          red(`unknown command "${head}". /help lists the commands; "<n> <text>" answers conversation n.`),
        );
        return true;
    }
  }

  private async join(ref: string | undefined, asName: string): Promise<boolean> {
    const { desk } = this;
    const c = desk.target(ref);
    if (!c) return true;
    const name = asName || c.agentName || desk.name;
    if (await this.sender.send(c, { type: 'agent.joined', conversationId: c.id, agent: { name } })) {
      Object.assign(c, { status: 'active', agentName: name });
      desk.print(green(`✓ ${desk.tag(c)} you joined as ${name}. Answer with "${c.n} <text>".`));
    }
    return true;
  }

  private async typing(ref: string | undefined): Promise<boolean> {
    const { desk } = this;
    const c = desk.target(ref);
    const agent = { name: c?.agentName ?? desk.name };
    if (c && (await this.sender.send(c, { type: 'agent.typing', conversationId: c.id, agent })))
      desk.print(dim(`✓ ${desk.tag(c)} typing shown to the customer`));
    return true;
  }

  private async close(ref: string | undefined, note: string): Promise<boolean> {
    const { desk } = this;
    const c = desk.target(ref);
    if (!c) return true;
    if (await this.sender.send(c, { type: 'handoff.completed', conversationId: c.id, ...(note ? { note } : {}) })) {
      c.status = 'closed';
      desk.print(green(`✓ ${desk.tag(c)} handed back to the bot (it asks the customer for a rating).`));
    }
    return true;
  }

  private async say(ref: string | undefined, message: string): Promise<boolean> {
    const { desk } = this;
    const c = desk.target(ref);
    if (!c) return true;
    if (!message) {
      desk.print(red(`nothing to send: "${c.n} <text>"`));
      return true;
    }
    const name = c.agentName ?? desk.name;
    if (await this.sender.send(c, { type: 'agent.message', conversationId: c.id, text: message, agent: { name } })) {
      Object.assign(c, { status: 'active', agentName: name });
      desk.print(dim(`✓ ${desk.tag(c)} sent as ${name}`));
    }
    return true;
  }
}
