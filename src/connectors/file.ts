import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../domain/errors';
import type { Connector, LookupKind, LookupRecord } from './types';

/**
 * A back office read from one JSON file (data/backoffice.json), so the demo works offline:
 * `{ "repairs": [...], "orders": [...], "purchases": [...] }`, each item a flat object of strings.
 * The file is read and validated once, in the constructor; a bad file is a startup error (ConfigError) naming
 * the file and the offending item. Lookups are by file number (repairs) or order number (orders, purchases),
 * compared case-insensitively and ignoring spaces and hyphens ("r 204518" finds "R-204518").
 */

export const REPAIR_STATUSES = [
  'received',
  'diagnosis',
  'waiting-parts',
  'in-repair',
  'ready',
  'returned-to-customer',
] as const;
export const ORDER_STATUSES = [
  'preparing',
  'shipped',
  'in-transit',
  'out-for-delivery',
  'delivered',
  'delivered-relay',
  'delayed',
  'cancelled',
] as const;
export const WARRANTY_EXTENSIONS = ['none', 'volta-plus-3', 'volta-plus-5'] as const;

export type RepairStatus = (typeof REPAIR_STATUSES)[number];
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type WarrantyExtension = (typeof WARRANTY_EXTENSIONS)[number];

/** The field holding the key of each kind of record. */
export const KEY_FIELD: Record<LookupKind, string> = {
  repair: 'fileNumber',
  order: 'orderNumber',
  purchase: 'orderNumber',
};

const LISTS: Record<LookupKind, 'repairs' | 'orders' | 'purchases'> = {
  repair: 'repairs',
  order: 'orders',
  purchase: 'purchases',
};

/**
 * Canonical form of a file or order number: NFKC, upper case, without whitespace, hyphen/dash variants,
 * underscores, dots or slashes. "mv 482-1937", "MV‑4821937" and "mv4821937" all become "MV4821937".
 */
export function normalizeKey(key: string): string {
  return key
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\-_./\\\u00AD\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g, '');
}

const text = z.string().trim().min(1, 'must not be empty');

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a valid calendar date');

const repairSchema = z
  .object({
    fileNumber: z.string().regex(/^R-\d{6}$/, 'expected a repair file number like "R-204518"'),
    product: text,
    status: z.enum(REPAIR_STATUSES),
    expectedDate: date,
    store: text,
    note: z.string().optional(),
  })
  .catchall(z.string());

const orderSchema = z
  .object({
    orderNumber: z.string().regex(/^MV-\d{7}$/, 'expected an order number like "MV-1234567"'),
    orderDate: date,
    items: text,
    total: z.string().regex(/^\d+\.\d{2}$/, 'expected an amount like "649.00"'),
    carrier: text,
    status: z.enum(ORDER_STATUSES),
    expectedDate: date.optional(),
    deliveredAt: date.optional(),
    relayPoint: text.optional(),
    returnUntil: date,
    returnable: z.enum(['yes', 'no']),
  })
  .catchall(z.string())
  .superRefine((o, ctx) => {
    if ((o.status === 'delivered' || o.status === 'delivered-relay') && !o.deliveredAt) {
      ctx.addIssue({ code: 'custom', path: ['deliveredAt'], message: `required when status is "${o.status}"` });
    }
    if (o.status === 'delivered-relay' && !o.relayPoint) {
      ctx.addIssue({ code: 'custom', path: ['relayPoint'], message: 'required when status is "delivered-relay"' });
    }
  });

const purchaseSchema = z
  .object({
    orderNumber: z.string().regex(/^MV-\d{7}$/, 'expected an order number like "MV-1234567"'),
    product: text,
    purchaseDate: date,
    warrantyEnd: date,
    extension: z.enum(WARRANTY_EXTENSIONS),
    extensionEnd: date.optional(),
  })
  .catchall(z.string())
  .superRefine((p, ctx) => {
    if (p.extension !== 'none' && !p.extensionEnd) {
      ctx.addIssue({ code: 'custom', path: ['extensionEnd'], message: `required when extension is "${p.extension}"` });
    }
    if (p.extension === 'none' && p.extensionEnd) {
      ctx.addIssue({ code: 'custom', path: ['extensionEnd'], message: 'must be absent when extension is "none"' });
    }
  });

const fileSchema = z.strictObject({
  repairs: z.array(repairSchema),
  orders: z.array(orderSchema),
  purchases: z.array(purchaseSchema),
});

/** "orders[3] (MV-4815512).status" from a zod path, with the item's own key when it has one. */
function describePath(path: readonly PropertyKey[], raw: unknown): string {
  let out = '';
  let node: unknown = raw;
  path.forEach((p, i) => {
    if (typeof p === 'number') out += `[${p}]`;
    else out += `${out ? '.' : ''}${String(p)}`;
    node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[p] : undefined;
    if (i === 1 && typeof p === 'number' && node && typeof node === 'object') {
      const list = path[0];
      const keyField = list === 'repairs' ? 'fileNumber' : 'orderNumber';
      const key = (node as Record<string, unknown>)[keyField];
      if (typeof key === 'string' && key) out += ` (${key})`;
    }
  });
  return out || '(root)';
}

export class FileConnector implements Connector {
  private readonly index: Record<LookupKind, Map<string, LookupRecord>> = {
    repair: new Map(),
    order: new Map(),
    purchase: new Map(),
  };

  constructor(readonly file: string) {
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`back-office file ${file}: cannot read: ${(e as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(source);
    } catch (e) {
      throw new ConfigError(`back-office file ${file}: invalid JSON: ${(e as Error).message}`);
    }
    const r = fileSchema.safeParse(raw);
    if (!r.success) {
      const lines = r.error.issues.map((i) => `  ${describePath(i.path, raw)}: ${i.message}`);
      throw new ConfigError(`back-office file ${file} is invalid:\n${lines.join('\n')}`);
    }
    const problems: string[] = [];
    for (const kind of Object.keys(LISTS) as LookupKind[]) {
      const list = LISTS[kind];
      const keyField = KEY_FIELD[kind];
      const firstAt = new Map<string, number>();
      r.data[list].forEach((item, i) => {
        const record: LookupRecord = {};
        for (const [k, v] of Object.entries(item)) if (typeof v === 'string') record[k] = v;
        const key = normalizeKey(record[keyField]!);
        const prev = firstAt.get(key);
        if (prev !== undefined) {
          problems.push(
            `  ${list}[${i}].${keyField}: duplicate key "${record[keyField]}" (already used by ${list}[${prev}])`,
          );
          return;
        }
        firstAt.set(key, i);
        this.index[kind].set(key, record);
      });
    }
    if (problems.length) throw new ConfigError(`back-office file ${file} is invalid:\n${problems.join('\n')}`);
  }

  /** How many records of each kind were loaded. */
  get counts(): Record<LookupKind, number> {
    return { repair: this.index.repair.size, order: this.index.order.size, purchase: this.index.purchase.size };
  }

  async lookup(kind: LookupKind, key: string): Promise<LookupRecord | null> {
    const map = this.index[kind];
    if (!map) return null;
    const record = map.get(normalizeKey(String(key ?? '')));
    return record ? { ...record } : null;
  }
}
