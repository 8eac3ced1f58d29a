/** Longest stored file name (characters): longer names are cut, keeping their extension. */
export const MAX_NAME_CHARS = 200;

/**
 * A file name as stored and shown: no folder (either slash), no control or bidi-override characters, trimmed, at
 * most MAX_NAME_CHARS characters (the extension kept), never empty ("file" then).
 */
export function sanitizeName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // C0/C1 controls, and the bidi overrides that make "gpj.exe" display as "exe.jpg".
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  const name = clean.replace(/^\.+/, '').trim() || 'file';
  const chars = [...name];
  if (chars.length <= MAX_NAME_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? [...name.slice(dot)] : [];
  const keep = ext.length > 0 && ext.length <= 10 ? ext : [];
  return chars.slice(0, MAX_NAME_CHARS - keep.length).join('') + keep.join('');
}

/** The name with its extension replaced (a HEIC photo stored as JPEG is "IMG_1.jpg"). */
export function withExtension(name: string, ext: string): string {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  return sanitizeName(`${stem}.${ext}`);
}

/** The extension of a name, lower-cased, without its dot ('' when none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}
