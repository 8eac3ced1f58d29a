import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { TEAMS_DIR, colorIcon, crc32, outlineIcon, teamsPackage } from '../../scripts/teams';

/** Width, height and RGBA pixels of a PNG written as 8-bit RGBA with filter 0 (what scripts/teams.ts writes). */
function readPng(buf: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('ascii', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    expect(buf.readUInt32BE(at + 8 + len)).toBe(crc32(buf.subarray(at + 4, at + 8 + len)));
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
    } else if (type === 'IDAT') idat.push(data);
    at += len + 12;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, pixels };
}

/** The entries of a ZIP file, read from its central directory. */
function unzip(buf: Buffer): Map<string, Buffer> {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(at)).toBe(0x02014b50);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const offset = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    const localName = buf.readUInt16LE(offset + 26);
    const localExtra = buf.readUInt16LE(offset + 28);
    const packed = buf.subarray(
      offset + 30 + localName + localExtra,
      offset + 30 + localName + localExtra + buf.readUInt32LE(at + 20),
    );
    const data = inflateRawSync(packed);
    expect({ name, size: data.length, crc: crc32(data) }).toEqual({ name, size, crc: buf.readUInt32LE(at + 16) });
    out.set(name, data);
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return out;
}

describe('Teams app package', () => {
  it('the committed icons are the drawn ones: 192x192 opaque colour, 32x32 white on transparent', () => {
    const color = readFileSync(join(TEAMS_DIR, 'color.png'));
    const outline = readFileSync(join(TEAMS_DIR, 'outline.png'));
    expect(color.equals(colorIcon())).toBe(true);
    expect(outline.equals(outlineIcon())).toBe(true);

    const c = readPng(color);
    expect([c.width, c.height]).toEqual([192, 192]);
    let seeThrough = 0;
    for (let i = 3; i < c.pixels.length; i += 4) if (c.pixels[i] !== 255) seeThrough++;
    expect(seeThrough).toBe(0);

    const o = readPng(outline);
    expect([o.width, o.height]).toEqual([32, 32]);
    let opaque = 0;
    let clear = 0;
    let notWhite = 0;
    for (let i = 0; i < o.pixels.length; i += 4) {
      const [r, g, b, a] = o.pixels.subarray(i, i + 4);
      if (a! > 0 && (r !== 255 || g !== 255 || b !== 255)) notWhite++;
      if (a === 255) opaque++;
      if (a === 0) clear++;
    }
    expect(notWhite).toBe(0);
    expect(opaque).toBeGreaterThan(50);
    expect(clear).toBeGreaterThan(500); // transparent background
  });

  it('fills the manifest (schema 1.17+, bot in personal, team and group chat scopes) and zips it with the icons', () => {
    const appId = '6A9BDB6E-1F0E-4C3F-9F1E-0D1C2B3A4F5E';
    const files = unzip(teamsPackage({ appId, host: 'bot.example.com' }));
    expect([...files.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
    expect(files.get('color.png')!.equals(readFileSync(join(TEAMS_DIR, 'color.png')))).toBe(true);
    const text = files.get('manifest.json')!.toString('utf8');
    expect(text).not.toContain('{{');
    const m = JSON.parse(text);
    expect(Number(m.manifestVersion)).toBeGreaterThanOrEqual(1.17);
    expect(m.$schema).toContain(`/v${m.manifestVersion}/`);
    expect(m.id).toBe(appId.toLowerCase());
    expect(m.bots).toEqual([
      expect.objectContaining({ botId: appId.toLowerCase(), scopes: ['personal', 'team', 'groupChat'] }),
    ]);
    expect(m.validDomains).toEqual(['bot.example.com']);
    expect(m.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    expect(m.description.short.length).toBeLessThanOrEqual(80);
  });

  it('refuses an app id that is not a GUID and a host with a scheme, naming the value', () => {
    expect(() => teamsPackage({ appId: 'my-bot', host: 'bot.example.com' })).toThrow(
      /--app-id "my-bot" must be .* a GUID/,
    );
    expect(() =>
      teamsPackage({ appId: '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e', host: 'https://bot.example.com/api' }),
    ).toThrow(/--host "https:\/\/bot.example.com\/api" must be/);
  });
});
