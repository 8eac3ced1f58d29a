import { listItems, parsedSetting } from './settings';

/** One agent of the desk at /agent: the name customers see when the agent joins, and the sign-in token. */
export interface AgentUser {
  name: string;
  token: string;
}

export interface DeskConfig {
  /** Who may sign in at /agent (AGENT_TOKENS). */
  users: AgentUser[];
  /** True when the development token is in use (random per installation, see ./exposure.ts). */
  devToken: boolean;
}

/** Parse AGENT_TOKENS: comma-separated `name:token` pairs. Throws a message naming the bad item. */
export function parseAgentTokens(v: string): AgentUser[] {
  const users: AgentUser[] = [];
  for (const raw of listItems(v)) {
    const [name, ...rest] = raw.split(':');
    const token = rest.join(':');
    const shown = `${name ?? ''}:…`;
    if (!name?.trim() || !token) throw new Error(`"${shown}" must be name:token`);
    if (name.length > 100) throw new Error(`"${name.slice(0, 20)}…": name must be at most 100 characters`);
    if (token.length < 16) throw new Error(`"${shown}": token must be at least 16 characters`);
    if (users.some((u) => u.name === name.trim())) throw new Error(`"${shown}": name given twice`);
    users.push({ name: name.trim(), token });
  }
  return users;
}

/** The environment variables of the agent desk (spread into the env schema of ./index.ts). */
export const deskEnv = {
  AGENT_TOKENS: parsedSetting('AGENT_TOKENS', parseAgentTokens),
};

/** Adds to `problems` (returned) what production refuses to start without: reported with the other settings. */
export function deskProblems(e: { NODE_ENV: string; AGENT_TOKENS?: AgentUser[] | undefined }, problems: string[]) {
  if (e.NODE_ENV === 'production' && !e.AGENT_TOKENS)
    problems.push('AGENT_TOKENS is required with NODE_ENV=production');
  return problems;
}

/** The desk's settings: AGENT_TOKENS, or one development agent with the installation's random token. */
export function deskConfig(
  e: { AGENT_TOKENS?: AgentUser[] | undefined },
  dev: { agentToken: string } | undefined,
): { desk: DeskConfig } {
  if (e.AGENT_TOKENS) return { desk: { users: e.AGENT_TOKENS, devToken: false } };
  return { desk: { users: [{ name: 'Agent', token: dev!.agentToken }], devToken: true } };
}
