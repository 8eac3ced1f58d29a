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
