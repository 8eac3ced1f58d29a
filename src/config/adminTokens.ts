import { ROLES, type AdminUser, type Role } from '../domain/admin';
import { listItems } from './settings';

/** Parse ADMIN_TOKENS: comma-separated `name:role:token` triples. Throws a message naming the bad item. */
export function parseAdminTokens(v: string): AdminUser[] {
  const users: AdminUser[] = [];
  for (const raw of listItems(v)) {
    const parts = raw.split(':');
    const [name, role, ...rest] = parts;
    const token = rest.join(':');
    const shown = `${name ?? ''}:${role ?? ''}:…`;
    if (!name || !role || !token) throw new Error(`"${shown}" must be name:role:token`);
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`"${shown}": role must be editor or admin`);
    if (token.length < 16) throw new Error(`"${shown}": token must be at least 16 characters`);
    users.push({ name, role: role as Role, token });
  }
  return users;
}
