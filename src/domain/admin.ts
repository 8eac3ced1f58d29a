/** Roles of the back office: an editor changes the content, an admin may also roll it back. */
export type Role = 'editor' | 'admin';
export const ROLES: readonly Role[] = ['editor', 'admin'];

/** Someone allowed into the admin API: a name (for the audit log), a role and a bearer token. */
export interface AdminUser {
  name: string;
  role: Role;
  token: string;
}
