/**
 * What the drivers throw, recognised by code. Duck-typed: better-sqlite3 builds its errors from the SqliteError class
 * of the first module instance that loaded it, which under Jest's per-file module registries may not pass
 * `instanceof Error`.
 */
const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/** PostgreSQL 23505, SQLite PRIMARY KEY or UNIQUE constraint. */
export const isUniqueViolation = (err: unknown): boolean => {
  const code = codeOf(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

/** PostgreSQL 23503, SQLite FOREIGN KEY constraint (foreign_keys is on). */
export const isForeignKeyViolation = (err: unknown): boolean => {
  const code = codeOf(err);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
};

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m ? m : String(err);
}

/** An error's message with the URL's password (if any) blanked out, in case a driver echoes it. */
export function safeReason(err: unknown, url?: string): string {
  const nested = (err as { errors?: unknown } | null)?.errors;
  // AggregateError (e.g. "localhost" refused on both ::1 and 127.0.0.1) has an empty message of its own.
  let msg = Array.isArray(nested) && nested.length ? nested.map(messageOf).join('; ') : messageOf(err);
  if (url) {
    try {
      const pw = decodeURIComponent(new URL(url).password);
      if (pw) msg = msg.split(pw).join('***');
    } catch {
      /* unparsable URL: nothing to redact from */
    }
  }
  return msg;
}
