import type { IncomingMessage } from 'node:http';
import Busboy from 'busboy';
import type { Response } from 'express';
import { tooLarge } from '../attachments/service';
import { AppError } from '../domain/errors';
import type { StoredAttachment } from '../storage/ports';

/** One file part of a multipart body. */
export interface UploadedFile {
  field: string;
  name: string;
  mimeType: string;
  bytes: Buffer;
}

export interface MultipartLimits {
  /** One file's bytes (ATTACHMENT_MAX_BYTES): one byte more is a 413. */
  maxFileBytes: number;
  /** File parts accepted (more is a 400). */
  maxFiles: number;
  /** Bytes of one text field. */
  maxFieldBytes: number;
  /** Text fields accepted. */
  maxFields: number;
}

/** What a multipart body may hold besides its files (headers, boundaries, small fields). */
const OVERHEAD_BYTES = 65_536;

export const badUpload = (message: string) => new AppError('INVALID_BODY', `invalid upload: ${message}`, 400);

/**
 * A multipart/form-data body read as a stream (busboy) within limits: each file at most maxFileBytes (413 past it),
 * at most maxFiles files and maxFields small fields (400), and the whole body bounded too, so a client cannot make
 * the server read without end. Shared by the channels that take uploads (widget, Direct Line).
 */
export function readMultipart(
  req: IncomingMessage,
  limits: MultipartLimits,
): Promise<{ files: UploadedFile[]; fields: Record<string, string> }> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\b/i.test(type))
    return Promise.reject(badUpload(`Content-Type is "${type.slice(0, 80)}", expected multipart/form-data`));
  const maxBody = limits.maxFiles * limits.maxFileBytes + limits.maxFields * limits.maxFieldBytes + OVERHEAD_BYTES;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBody) return Promise.reject(tooLarge('the request body', limits.maxFileBytes));
  return new Promise((resolve, reject) => {
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({
        headers: req.headers,
        // File names as browsers send them: UTF-8 (busboy's default is latin1).
        defParamCharset: 'utf8',
        limits: {
          fileSize: limits.maxFileBytes + 1,
          files: limits.maxFiles,
          fields: limits.maxFields,
          fieldSize: limits.maxFieldBytes,
          fieldNameSize: 100,
        },
      });
    } catch (e) {
      reject(badUpload((e as Error).message));
      return;
    }
    const files: UploadedFile[] = [];
    const fields: Record<string, string> = {};
    let failure: unknown;
    const fail = (e: unknown) => (failure ??= e);
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBody) return;
      // Stop reading: the connection is closed after the answer.
      req.off('data', count);
      req.unpipe(bb);
      req.resume();
      reject(tooLarge('the request body', limits.maxFileBytes));
    };
    req.on('data', count);
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= limits.maxFileBytes) chunks.push(c);
      });
      stream.on('limit', () => fail(tooLarge(`"${info.filename ?? field}"`, limits.maxFileBytes)));
      stream.on('end', () => {
        if (size <= limits.maxFileBytes)
          files.push({ field, name: info.filename ?? '', mimeType: info.mimeType, bytes: Buffer.concat(chunks) });
      });
    });
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(badUpload(`field "${name}" is longer than ${limits.maxFieldBytes} bytes`));
      else fields[name] = value;
    });
    bb.on('filesLimit', () => fail(badUpload(`more than ${limits.maxFiles} file(s) in one request`)));
    bb.on('fieldsLimit', () => fail(badUpload(`more than ${limits.maxFields} field(s) in one request`)));
    bb.on('error', (e: Error) => reject(badUpload(e.message)));
    bb.on('close', () => {
      req.off('data', count);
      if (failure) reject(failure);
      else resolve({ files, fields });
    });
    req.on('aborted', () => reject(new AppError('REQUEST_ABORTED', 'the request was aborted by the client', 400)));
    req.pipe(bb);
  });
}

/** RFC 6266 Content-Disposition: an ASCII fallback name and the exact one as RFC 5987 UTF-8. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/**
 * A stored file as a download: its stored type, never sniffed (nosniff), images inline and anything else (PDFs) as
 * an attachment, a CSP that runs nothing even if a browser renders it, private to the one who asked.
 */
export function sendAttachment(res: Response, a: StoredAttachment): void {
  const inline = a.contentType.startsWith('image/');
  res.set({
    'content-type': a.contentType,
    'content-length': String(a.bytes.length),
    'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', a.name),
    'x-content-type-options': 'nosniff',
    'cache-control': 'private, max-age=3600',
    'content-security-policy': "default-src 'none'; sandbox",
  });
  res.end(a.bytes);
}
