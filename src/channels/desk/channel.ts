import { Router } from 'express';
import type { AttachmentLinks } from '../../handoff/attachmentLink';
import type { Channel } from '../channel';
import type { TrafficLimits } from '../limits';
import type { StreamSettings } from '../streams';
import { agentOf, requireAgent, type DeskAgent } from './auth';
import { deskPageRoutes } from './page';
import { deskRoutes, type DeskEngine } from './routes';
import { deskStreams } from './stream';

export interface DeskDeps {
  engine: DeskEngine;
  /** Who may sign in (AGENT_TOKENS). */
  agents: readonly DeskAgent[];
  /** Unknown tokens counted per client IP (the admin sign-in limit); absent in unit tests. */
  limits?: TrafficLimits;
  streams: StreamSettings;
  /** How often the live streams look for what other instances wrote anyway (the change feed wakes them at once). */
  pollMs?: number;
  /** Same-origin signed links of the customers' files. */
  links?: AttachmentLinks;
}

/**
 * The agent desk at /agent: a page and its API (/api/desk, every route behind an agent token). The desk's actions
 * are the engine's (claim, transfer, notes) and the agents' events (reply, typing, close), so the customer sees
 * what a helpdesk's webhook would make them see.
 */
export function createDeskChannel(deps: DeskDeps): Channel {
  const find = agentOf(deps.agents);
  const routes = Router();
  routes.use(deskPageRoutes());
  // Sign-in failures per client IP (429 past RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR), then the token itself.
  if (deps.limits)
    routes.use(
      '/api/desk',
      deps.limits.signinGuard((t) => find(t) !== undefined, 'agent'),
    );
  routes.use('/api/desk', requireAgent(find));
  routes.use(
    deskRoutes(deps.engine, deps.links),
    deskStreams(deps.engine, deps.streams, deps.pollMs ?? 2000, deps.links),
  );
  return { name: 'desk', routes, limited: { paths: ['/api/desk', '/agent'], limit: 'agentEvents' } };
}
