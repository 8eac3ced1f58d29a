import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { messageOf } from '../driverErrors';
import type { SqlDialectName } from '../tables';
import * as m0001 from './0001_conversations_messages';
import * as m0002 from './0002_handoff_outbox';
import * as m0003 from './0003_suggestions';
import * as m0004 from './0004_inbox';
import * as m0005 from './0005_directline_client_id';
import * as m0006 from './0006_editor';
import * as m0007 from './0007_channel_refs';
import * as m0008 from './0008_rate_limits';
import * as m0009 from './0009_privacy';
import * as m0010 from './0010_attachments';
import * as m0011 from './0011_feedback';
import * as m0012 from './0012_outbox_targets';
import * as m0013 from './0013_conversation_email';

type Up = (db: Kysely<unknown>, dialect: SqlDialectName) => Promise<void>;

/**
 * The schema, in code (nothing is read from disk at runtime), in application order. Append-only: never edit or
 * rename one that has shipped (the names are stored in the kysely_migration table), add the next file and line.
 */
export const MIGRATIONS: readonly (readonly [name: string, up: Up])[] = [
  ['0001_conversations_messages', m0001.up],
  ['0002_handoff_outbox', m0002.up],
  ['0003_suggestions', m0003.up],
  ['0004_inbox', m0004.up],
  ['0005_directline_client_id', m0005.up],
  ['0006_editor', m0006.up],
  ['0007_channel_refs', m0007.up],
  ['0008_rate_limits', m0008.up],
  ['0009_privacy', m0009.up],
  ['0010_attachments', m0010.up],
  ['0011_feedback', m0011.up],
  ['0012_outbox_targets', m0012.up],
  ['0013_conversation_email', m0013.up],
];

function migrations(dialect: SqlDialectName): Record<string, Migration> {
  return Object.fromEntries(MIGRATIONS.map(([name, up]) => [name, { up: (db: Kysely<unknown>) => up(db, dialect) }]));
}

/** Runs the pending migrations (none when the schema is current). */
export async function migrate<DB>(db: Kysely<DB>, dialect: SqlDialectName): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = messageOf(error);
    throw new Error(failed ? `migration ${failed} failed: ${reason}` : reason);
  }
}
