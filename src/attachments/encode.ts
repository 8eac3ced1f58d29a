import sharp from 'sharp';
import { AppError } from '../domain/errors';
import { KINDS, unsupported, type AcceptedKind } from './inspect';

export interface EncodeLimits {
  /** Images with more pixels are refused before they are decoded (decompression bombs). */
  maxPixels: number;
  /** Stored images fit in a square of this side. */
  maxSide: number;
}

export interface Encoded {
  bytes: Buffer;
  contentType: string;
  /** The stored file's extension (a HEIC photo becomes a .jpg). */
  ext: string;
}

const OUTPUT: Record<Exclude<AcceptedKind, 'pdf'>, { format: 'jpeg' | 'png' | 'webp'; ext: string }> = {
  jpeg: { format: 'jpeg', ext: 'jpg' },
  png: { format: 'png', ext: 'png' },
  webp: { format: 'webp', ext: 'webp' },
  // Browsers other than Safari cannot show HEIC: stored as a JPEG.
  heic: { format: 'jpeg', ext: 'jpg' },
};

/**
 * The bytes as stored. Images are decoded and encoded again in the same family (HEIC as JPEG): what is stored is
 * only pixels, every metadata block (EXIF with its GPS position, XMP, IPTC, comments) is dropped (sharp keeps none
 * unless asked), the EXIF orientation is applied first so the photo stays upright, and the size is bounded. PDFs
 * are stored as received (they are served as downloads, never inline).
 */
export async function encode(bytes: Buffer, kind: AcceptedKind, name: string, limits: EncodeLimits): Promise<Encoded> {
  if (kind === 'pdf') return { bytes, contentType: KINDS.pdf.mime, ext: 'pdf' };
  const out = OUTPUT[kind];
  const meta = await sharp(bytes)
    .metadata()
    .catch(() => undefined);
  if (!meta?.width || !meta.height) throw undecodable(kind, name);
  const pixels = meta.width * meta.height;
  if (pixels > limits.maxPixels)
    throw new AppError(
      'ATTACHMENT_TOO_LARGE',
      `"${name}" is ${meta.width}×${meta.height} pixels: at most ${limits.maxPixels} pixels are accepted`,
      413,
    );
  try {
    const img = sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error' })
      .rotate()
      .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true });
    const encoded =
      out.format === 'jpeg' ? img.jpeg({ quality: 85 }) : out.format === 'png' ? img.png() : img.webp({ quality: 85 });
    const result = await encoded.toBuffer();
    return { bytes: result, contentType: `image/${out.format}`, ext: out.ext };
  } catch {
    throw undecodable(kind, name);
  }
}

function undecodable(kind: AcceptedKind, name: string): AppError {
  return kind === 'heic'
    ? unsupported(
        `"${name}" is a HEIC photo this server cannot decode: send it as JPEG (most phones can share as JPEG)`,
      )
    : unsupported(`"${name}" looks like ${KINDS[kind].mime} but could not be read as an image`);
}
