import type { Generated, Kysely } from 'kysely';

/** One change to the content: who, when, what, the entry before and after, and the version it published. */
export interface AuditEntry {
  id: number;
  at: string;
  user: string;
  /** create | update | add-question | delete | rollback | reload (a file changed on disk) | start */
  action: string;
  entryId: string | null;
  before: unknown;
  after: unknown;
  version: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** A published version: the files' text as they were, so that it can be restored. */
export interface VersionRecord {
  version: string;
  at: string;
  user: string;
  action: string;
}

export interface VersionSnapshot extends VersionRecord {
  files: { kb: Record<string, string>; dialogs: Record<string, string> };
}

/** Append-only audit log and published-version snapshots (editors' changes). */
export interface EditorStore {
  appendAudit(e: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;
  saveVersion(v: VersionSnapshot): Promise<void>;
  /** Newest first. */
  listVersions(limit: number): Promise<VersionRecord[]>;
  /** The latest snapshot stored for `version`. */
  getVersion(version: string): Promise<VersionSnapshot | undefined>;
}

export class MemoryEditorStore implements EditorStore {
  private readonly audit: AuditEntry[] = [];
  private readonly versions: VersionSnapshot[] = [];

  async appendAudit(e: NewAuditEntry): Promise<AuditEntry> {
    const row = structuredClone({ ...e, id: this.audit.length + 1 });
    this.audit.push(row);
    return structuredClone(row);
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    return structuredClone(this.audit.slice(-limit).reverse());
  }

  async saveVersion(v: VersionSnapshot): Promise<void> {
    this.versions.push(structuredClone(v));
  }

  async listVersions(limit: number): Promise<VersionRecord[]> {
    return this.versions
      .slice(-limit)
      .reverse()
      .map(({ version, at, user, action }) => ({ version, at, user, action }));
  }

  async getVersion(version: string): Promise<VersionSnapshot | undefined> {
    const v = [...this.versions].reverse().find((x) => x.version === version);
    return v ? structuredClone(v) : undefined;
  }
}

/** Tables added by migration 0006_editor (src/storage/sql.ts). JSON values are stored as text. */
export interface EditorTables {
  kb_audit: { id: Generated<number | string>; at: string; user_name: string; action: string; entry_id: string | null; before: string | null; after: string | null; version: string };
  kb_versions: { id: Generated<number | string>; version: string; at: string; user_name: string; action: string; files: string };
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
const unjson = (v: string | null): unknown => (v === null ? null : JSON.parse(v));

/** The same contract on SQLite or PostgreSQL, through the conversation store's Kysely instance. */
export class SqlEditorStore implements EditorStore {
  constructor(private readonly db: Kysely<EditorTables>) {}

  async appendAudit(e: NewAuditEntry): Promise<AuditEntry> {
    const row = { at: e.at, user_name: e.user, action: e.action, entry_id: e.entryId, before: json(e.before), after: json(e.after), version: e.version };
    const { id } = await this.db.insertInto('kb_audit').values(row).returning('id').executeTakeFirstOrThrow();
    return { ...structuredClone(e), id: Number(id) };
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const rows = await this.db.selectFrom('kb_audit').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: Number(r.id), at: r.at, user: r.user_name, action: r.action, entryId: r.entry_id, before: unjson(r.before), after: unjson(r.after), version: r.version }));
  }

  async saveVersion(v: VersionSnapshot): Promise<void> {
    await this.db.insertInto('kb_versions').values({ version: v.version, at: v.at, user_name: v.user, action: v.action, files: JSON.stringify(v.files) }).execute();
  }

  async listVersions(limit: number): Promise<VersionRecord[]> {
    const rows = await this.db.selectFrom('kb_versions').select(['version', 'at', 'user_name', 'action']).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ version: r.version, at: r.at, user: r.user_name, action: r.action }));
  }

  async getVersion(version: string): Promise<VersionSnapshot | undefined> {
    const r = await this.db.selectFrom('kb_versions').selectAll().where('version', '=', version).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r ? { version: r.version, at: r.at, user: r.user_name, action: r.action, files: JSON.parse(r.files) as VersionSnapshot['files'] } : undefined;
  }
}
