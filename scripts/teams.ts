/**
 * Microsoft Teams app package.
 *   npm run teams:package -- --app-id <MICROSOFT_APP_ID> --host <bot host name> [--out dist/teams-app.zip]
 *     fills teams/manifest.json ({{MICROSOFT_APP_ID}}, {{BOT_HOST}}) and zips it with the two icons, ready to upload
 *     in Teams (Apps > Manage your apps > Upload an app) or the Teams admin center.
 *   npm run teams:icons
 *     redraws teams/color.png (192x192) and teams/outline.png (32x32, white on transparent), committed.
 * No dependency: PNG and ZIP are written with node:zlib.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync, deflateSync } from 'node:zlib';

export const TEAMS_DIR = resolve(__dirname, '..', 'teams');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An RGBA image (8 bits per channel) as a PNG file. */
export function png(width: number, height: number, rgba: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++)
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1); // filter 0
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A ZIP archive (deflated entries), as Teams expects the app package. */
export function zip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0, 10); // 00:00
    local.writeUInt16LE(0x21, 12); // 1980-01-01: the same bytes for the same input
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// The icon: a speech bubble with three dots, in unit coordinates (0..1, y down).
const BODY = { x0: 0.14, y0: 0.2, x1: 0.86, y1: 0.68, r: 0.13 };
const DOTS = [0.34, 0.5, 0.66].map((x) => ({ x, y: 0.44 }));

function inRoundedRect(x: number, y: number, b = BODY): boolean {
  if (x < b.x0 || x > b.x1 || y < b.y0 || y > b.y1) return false;
  const cx = Math.min(Math.max(x, b.x0 + b.r), b.x1 - b.r);
  const cy = Math.min(Math.max(y, b.y0 + b.r), b.y1 - b.r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= b.r * b.r;
}

function inTail(x: number, y: number): boolean {
  // Triangle (0.28, 0.6) (0.28, 0.86) (0.5, 0.64).
  const [ax, ay, bx, by, cx, cy] = [0.28, 0.6, 0.28, 0.86, 0.5, 0.64];
  const s = (px: number, py: number, qx: number, qy: number) => (x - qx) * (py - qy) - (px - qx) * (y - qy);
  const d1 = s(ax, ay, bx, by);
  const d2 = s(bx, by, cx, cy);
  const d3 = s(cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

const inBubble = (x: number, y: number) => inRoundedRect(x, y) || inTail(x, y);
const inDot = (x: number, y: number, r: number) => DOTS.some((d) => (x - d.x) ** 2 + (y - d.y) ** 2 <= r * r);

/** Paint with 4x4 supersampling: `color(x, y)` gives [r, g, b, a] at a point of the unit square. */
function render(size: number, color: (x: number, y: number) => [number, number, number, number]): Uint8Array {
  const out = new Uint8Array(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < n; sy++)
        for (let sx = 0; sx < n; sx++) {
          const c = color((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size);
          for (let i = 0; i < 3; i++) acc[i]! += c[i]! * c[3];
          acc[3]! += c[3];
        }
      const o = (py * size + px) * 4;
      const a = acc[3]! / (n * n);
      for (let i = 0; i < 3; i++) out[o + i] = a ? Math.round(acc[i]! / acc[3]!) : 0;
      out[o + 3] = Math.round(a * 255);
    }
  return out;
}

const ACCENT: [number, number, number] = [0x1e, 0x5a, 0xa8];

/** The full-colour icon (192x192): a white bubble on the accent colour. */
export function colorIcon(): Buffer {
  return png(
    192,
    192,
    render(192, (x, y) =>
      inBubble(x, y) ? (inDot(x, y, 0.045) ? [...ACCENT, 1] : [255, 255, 255, 1]) : [...ACCENT, 1],
    ),
  );
}

/** The outline icon (32x32): the bubble's outline in white on a transparent background, as Teams requires. */
export function outlineIcon(): Buffer {
  const stroke = 1.6 / 32;
  const edge = (x: number, y: number) => {
    if (!inBubble(x, y)) return false;
    for (let k = 0; k < 16; k++) {
      const t = (k / 16) * 2 * Math.PI;
      if (!inBubble(x + stroke * Math.cos(t), y + stroke * Math.sin(t))) return true;
    }
    return false;
  };
  return png(
    32,
    32,
    render(32, (x, y) => (edge(x, y) || inDot(x, y, 0.06) ? [255, 255, 255, 1] : [255, 255, 255, 0])),
  );
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/** The app package: manifest.json with the placeholders filled, and the two icons. */
export function teamsPackage(o: { appId: string; host: string; dir?: string }): Buffer {
  const dir = o.dir ?? TEAMS_DIR;
  if (!GUID.test(o.appId))
    throw new Error(`--app-id "${o.appId}" must be the bot's Microsoft App ID (MICROSOFT_APP_ID), a GUID`);
  if (!HOST.test(o.host))
    throw new Error(
      `--host "${o.host}" must be the bot's public host name, like bot.example.com (no https://, no path)`,
    );
  const file = join(dir, 'manifest.json');
  const template = readFileSync(file, 'utf8');
  const manifest = template
    .split('{{MICROSOFT_APP_ID}}')
    .join(o.appId.toLowerCase())
    .split('{{BOT_HOST}}')
    .join(o.host.toLowerCase());
  const left = /\{\{[A-Z_]+\}\}/.exec(manifest);
  if (left) throw new Error(`${file}: unknown placeholder ${left[0]} (known: {{MICROSOFT_APP_ID}}, {{BOT_HOST}})`);
  JSON.parse(manifest); // a broken template fails here, not in Teams
  return zip([
    { name: 'manifest.json', data: Buffer.from(manifest, 'utf8') },
    { name: 'color.png', data: readFileSync(join(dir, 'color.png')) },
    { name: 'outline.png', data: readFileSync(join(dir, 'outline.png')) },
  ]);
}

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'app-id': { type: 'string' },
      host: { type: 'string' },
      out: { type: 'string', default: join('dist', 'teams-app.zip') },
    },
  });
  if (positionals[0] === 'icons') {
    writeFileSync(join(TEAMS_DIR, 'color.png'), colorIcon());
    writeFileSync(join(TEAMS_DIR, 'outline.png'), outlineIcon());
    console.log(`wrote ${join(TEAMS_DIR, 'color.png')} and ${join(TEAMS_DIR, 'outline.png')}`);
    return 0;
  }
  if (positionals[0] !== 'package' || !values['app-id'] || !values.host) {
    console.error(
      'usage: npm run teams:package -- --app-id <MICROSOFT_APP_ID> --host <bot.example.com> [--out dist/teams-app.zip]',
    );
    return 2;
  }
  try {
    const out = resolve(values.out!);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, teamsPackage({ appId: values['app-id'], host: values.host }));
    console.log(`wrote ${out}: upload it in Teams (Apps > Manage your apps > Upload an app) or the Teams admin center`);
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main();
