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
