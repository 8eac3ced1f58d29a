import { intSetting } from './settings';

/**
 * Customers' files (photos, PDFs): the size of one file, the per-conversation quota, the pixel cap of images and
 * the lifetime of the signed download URLs sent to agents. Spread into the env schema of ./index.ts.
 */
export const attachmentsEnv = {
  ATTACHMENT_MAX_BYTES: intSetting('ATTACHMENT_MAX_BYTES', 10_485_760, 1024, 52_428_800),
  ATTACHMENTS_PER_CONVERSATION: intSetting('ATTACHMENTS_PER_CONVERSATION', 10, 1, 1000),
  ATTACHMENT_BYTES_PER_CONVERSATION: intSetting('ATTACHMENT_BYTES_PER_CONVERSATION', 52_428_800, 1024, 1_073_741_824),
  // Images larger than this many pixels are refused before decoding (decompression bombs); 50 megapixels.
  ATTACHMENT_MAX_PIXELS: intSetting('ATTACHMENT_MAX_PIXELS', 50_000_000, 10_000, 268_402_689),
  // Stored images are resized to fit this side (pixels): a phone photo stays sharp, the stored bytes shrink.
  ATTACHMENT_MAX_SIDE: intSetting('ATTACHMENT_MAX_SIDE', 4096, 256, 16_384),
  ATTACHMENT_URL_TTL_S: intSetting('ATTACHMENT_URL_TTL_S', 7 * 86_400, 60, 90 * 86_400),
};

export interface AttachmentsConfig {
  /** One file, as received (ATTACHMENT_MAX_BYTES): more is a 413 ATTACHMENT_TOO_LARGE. */
  maxBytes: number;
  /** Files stored per conversation (ATTACHMENTS_PER_CONVERSATION): one more is a 429. */
  perConversation: number;
  /** Bytes stored per conversation (ATTACHMENT_BYTES_PER_CONVERSATION): past it a 429. */
  bytesPerConversation: number;
  maxPixels: number;
  maxSide: number;
  /** Lifetime of a signed download URL (handoff webhook). */
  urlTtlMs: number;
}

type AttachmentsEnv = { [K in keyof typeof attachmentsEnv]: number };

export function attachmentsConfig(e: AttachmentsEnv): { attachments: AttachmentsConfig } {
  return {
    attachments: {
      maxBytes: e.ATTACHMENT_MAX_BYTES,
      perConversation: e.ATTACHMENTS_PER_CONVERSATION,
      bytesPerConversation: e.ATTACHMENT_BYTES_PER_CONVERSATION,
      maxPixels: e.ATTACHMENT_MAX_PIXELS,
      maxSide: e.ATTACHMENT_MAX_SIDE,
      urlTtlMs: e.ATTACHMENT_URL_TTL_S * 1000,
    },
  };
}
