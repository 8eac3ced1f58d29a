/** One error base class for the whole product: a stable code, an HTTP status and optional details. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** A problem located in a content file (knowledge base, dialogs): file, line, column and key path. */
export interface SourceIssue {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export function formatIssue(i: SourceIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.path ? i.path + ': ' : ''}${i.message}`;
}

export class ContentError extends AppError {
  constructor(readonly issues: SourceIssue[]) {
    super('INVALID_CONTENT', `invalid content:\n${issues.map(formatIssue).join('\n')}`, 500, issues);
    this.name = 'ContentError';
  }
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super('INVALID_CONFIG', message, 500);
    this.name = 'ConfigError';
  }
}

/** A validator with zod's safeParse shape (the domain does not depend on zod itself). */
export interface SafeParser<T> {
  safeParse(
    v: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** Validate a request body: the data, or a 400 INVALID_BODY naming each offending field (`hint` when none is named). */
export function parseBody<T>(schema: SafeParser<T>, body: unknown, hint = ''): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const detail = r.error.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ` : '') + i.message)
    .join('; ');
  throw new AppError('INVALID_BODY', `invalid request body: ${detail || hint}`, 400);
}

/**
 * A limit was reached (429 RATE_LIMITED): the error handler adds `Retry-After` (whole seconds, at least 1) so
 * that well-behaved clients wait instead of retrying at once.
 */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterMs: number) {
    super('RATE_LIMITED', message, 429);
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}
