import type { AuditEntry, NewAuditEntry, VersionRecord, VersionSnapshot } from '../domain/editor';
import type { EditorStore } from './ports';

/** The editors' audit and published versions in memory (part of MemoryConversationStore). */
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

  async saveVersion(v: VersionSnapshot): Promise<number> {
    return this.versions.push(structuredClone(v));
  }

  async latestVersion(): Promise<{ seq: number; version: string } | undefined> {
    const v = this.versions.at(-1);
    return v ? { seq: this.versions.length, version: v.version } : undefined;
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
