import type { AuditEntry, NewAuditEntry, VersionRecord, VersionSnapshot } from '../../domain/editor';
import type { EditorStore } from '../ports';
import type { SqlContext } from './tables';

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
const unjson = (v: string | null): unknown => (v === null ? null : JSON.parse(v));

/** The editors' audit log and version snapshots (tables of migration 0006_editor); JSON values are stored as text. */
export class SqlEditorStore implements EditorStore {
  constructor(private readonly ctx: SqlContext) {}

  async appendAudit(e: NewAuditEntry): Promise<AuditEntry> {
    const row = {
      at: e.at,
      user_name: e.user,
      action: e.action,
      entry_id: e.entryId,
      before: json(e.before),
      after: json(e.after),
      version: e.version,
    };
    const { id } = await this.ctx.db.insertInto('kb_audit').values(row).returning('id').executeTakeFirstOrThrow();
    return { ...structuredClone(e), id: Number(id) };
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const rows = await this.ctx.db.selectFrom('kb_audit').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      user: r.user_name,
      action: r.action,
      entryId: r.entry_id,
      before: unjson(r.before),
      after: unjson(r.after),
      version: r.version,
    }));
  }

  async saveVersion(v: VersionSnapshot): Promise<number> {
    const { id } = await this.ctx.db
      .insertInto('kb_versions')
      .values({ version: v.version, at: v.at, user_name: v.user, action: v.action, files: JSON.stringify(v.files) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(id);
  }

  /** One primary-key lookup (the highest id): cheap enough to poll every second from every instance. */
  async latestVersion(): Promise<{ seq: number; version: string } | undefined> {
    const r = await this.ctx.db
      .selectFrom('kb_versions')
      .select(['id', 'version'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? { seq: Number(r.id), version: r.version } : undefined;
  }

  async listVersions(limit: number): Promise<VersionRecord[]> {
    const rows = await this.ctx.db
      .selectFrom('kb_versions')
      .select(['version', 'at', 'user_name', 'action'])
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ version: r.version, at: r.at, user: r.user_name, action: r.action }));
  }

  async getVersion(version: string): Promise<VersionSnapshot | undefined> {
    const r = await this.ctx.db
      .selectFrom('kb_versions')
      .selectAll()
      .where('version', '=', version)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r
      ? {
          version: r.version,
          at: r.at,
          user: r.user_name,
          action: r.action,
          files: JSON.parse(r.files) as VersionSnapshot['files'],
        }
      : undefined;
  }
}
