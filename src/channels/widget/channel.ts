import { Router } from 'express';
import type { Engine } from '../../engine/engine';
import type { Channel } from '../channel';
import type { TrafficLimits } from '../limits';
import type { ResumeLinks } from '../../handoff/resumeLink';
import { conversationRoutes } from './api';
import { widgetScriptRoute, type WidgetBundle } from './bundle';
import { widgetCors } from './cors';
import { eventStreamRoute } from './events';
import { resumeRoutes } from './resume';
import type { StreamSettings } from '../streams';
import { uploadRoutes, type UploadDeps } from './uploads';

export interface WidgetDeps {
  engine: Engine;
  /** The browser script (bundled at startup), served at /widget.js. */
  bundle?: WidgetBundle;
  /** Other sites allowed to embed the widget (WIDGET_ALLOWED_ORIGINS). */
  allowedOrigins: readonly string[];
  /** How often live event streams look for messages written by other instances. */
  pollMs?: number;
  /** New conversations and messages (none when absent: unit tests). */
  limits?: TrafficLimits;
  /** Limits and pacing of the event streams (shared with the other channels' streams). */
  streams: StreamSettings;
  /** Customers' files (uploads and downloads); without it the attachment routes are not mounted. */
  attachments?: Pick<UploadDeps, 'service' | 'links' | 'maxTextChars'>;
  /** The signed links of the mails back to a conversation; without it the resume route is not mounted. */
  resumeLinks?: Pick<ResumeLinks, 'check'>;
}

/**
 * The website widget: its script, its HTTP API and its event stream (the stream is its proactive delivery: agents'
 * messages, typing, queue updates). CORS comes before the JSON parser so that refusals of a bad body carry it too.
 */
export function createWidgetChannel(deps: WidgetDeps): Channel {
  const cors = Router();
  cors.use('/api/conversations', widgetCors(deps.allowedOrigins));
  // Multipart bodies are read by their route, before the JSON parser (after CORS, so its refusals carry CORS).
  if (deps.attachments)
    cors.use(
      uploadRoutes({ engine: deps.engine, ...deps.attachments, ...(deps.limits ? { limits: deps.limits } : {}) }),
    );
  const routes = Router();
  if (deps.bundle) routes.use(widgetScriptRoute(deps.bundle));
  routes.use(
    conversationRoutes(deps.engine, deps.limits),
    eventStreamRoute(deps.engine, deps.pollMs ?? 2000, deps.streams),
  );
  if (deps.resumeLinks) routes.use(resumeRoutes(deps.engine, deps.resumeLinks, deps.limits));
  return { name: 'widget', rawBody: cors, routes, limited: { paths: ['/api/conversations'], limit: 'requests' } };
}
