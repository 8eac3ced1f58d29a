import { fileTypeFromBuffer } from 'file-type/core';
import { AppError } from '../domain/errors';
import { extensionOf } from './names';

/** The kinds of file accepted, as read from their bytes. */
export type AcceptedKind = 'jpeg' | 'png' | 'webp' | 'heic' | 'pdf';

interface KindInfo {
  mime: string;
  /** Declared types and extensions that agree with the content. */
  declared: readonly string[];
  extensions: readonly string[];
}

export const KINDS: Record<AcceptedKind, KindInfo> = {
  jpeg: {
    mime: 'image/jpeg',
    declared: ['image/jpeg', 'image/jpg', 'image/pjpeg'],
    extensions: ['jpg', 'jpeg', 'jfif'],
  },
  png: { mime: 'image/png', declared: ['image/png'], extensions: ['png'] },
  webp: { mime: 'image/webp', declared: ['image/webp'], extensions: ['webp'] },
  heic: {
    mime: 'image/heic',
    declared: ['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'],
    extensions: ['heic', 'heif'],
  },
  pdf: { mime: 'application/pdf', declared: ['application/pdf', 'application/x-pdf'], extensions: ['pdf'] },
};

const BY_MIME: Record<string, AcceptedKind> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/heic': 'heic',
  'image/heif': 'heic',
  'image/heic-sequence': 'heic',
  'image/heif-sequence': 'heic',
  'application/pdf': 'pdf',
};

/** Declared types that say nothing (browsers send them for unknown files): never a mismatch. */
const UNINFORMATIVE = new Set(['', 'application/octet-stream', 'binary/octet-stream']);
const ACCEPTED_LIST = 'JPEG, PNG, WebP, HEIC photos or PDF documents';

export const unsupported = (message: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', message, 415);

/**
 * What the file is, read from its bytes (file-type), never from its name or declared type: those must agree with
 * the content when they say something (a page named photo.jpg, or a PDF declared as image/png, is refused).
 */
export async function inspect(bytes: Uint8Array, name: string, declaredType?: string): Promise<AcceptedKind> {
  const found = await fileTypeFromBuffer(bytes);
  const kind = found ? BY_MIME[found.mime] : undefined;
  if (!kind)
    throw unsupported(
      `"${name}" is ${found ? `a ${found.mime} file` : 'not a file type we recognise'}: send ${ACCEPTED_LIST}`,
    );
  const info = KINDS[kind];
  const declared = (declaredType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!UNINFORMATIVE.has(declared) && !info.declared.includes(declared))
    throw unsupported(`"${name}" is declared as ${declared} but its content is ${info.mime}`);
  const ext = extensionOf(name);
  if (ext && !info.extensions.includes(ext) && isKnownExtension(ext))
    throw unsupported(`"${name}" is named .${ext} but its content is ${info.mime}`);
  return kind;
}

/** Extensions that name a type: a .jpg must be a JPEG; an unknown one (".scan") is only a name. */
function isKnownExtension(ext: string): boolean {
  return (
    Object.values(KINDS).some((k) => k.extensions.includes(ext)) ||
    ['html', 'htm', 'svg', 'xml', 'js', 'exe', 'gif', 'bmp', 'tif', 'tiff', 'txt', 'doc', 'docx', 'zip'].includes(ext)
  );
}
