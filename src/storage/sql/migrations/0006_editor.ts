import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/** Editors' audit log (append-only) and a snapshot of the content files per published version. Shipped. */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema
    .createTable('kb_audit')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entry_id', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('version', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('kb_versions')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('files', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('kb_versions_version').on('kb_versions').columns(['version', 'id']).execute();
}
