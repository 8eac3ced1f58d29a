import type { AttachmentService } from '../../attachments/service';
import { AppError } from '../../domain/errors';
import type { AttachmentRef, Lang } from '../../domain/types';
import type { ActivityJson } from '../activity';
import { fetchFile } from '../fetchFile';
import { MICROSOFT_SERVICE_HOSTS, refusedServiceUrl, type ServiceUrlPolicy } from './serviceUrl';

/**
 * Files on incoming Bot Framework messages (Teams inline images and files, Web Chat through Azure Bot Service)
 * fetched and passed to the attachments service: only from the channel's hosts, without redirects, within the
 * size limit while streaming, with the bot's token only where the channel requires it.
 */

/** Where Teams puts pre-authenticated download URLs of files shared in a chat (OneDrive / SharePoint). */
export const FILE_DOWNLOAD_HOSTS = ['*.sharepoint.com', '*.sharepoint.us', '*.sharepoint.cn'] as const;

/** Where Teams keeps images pasted in channel and group messages (Skype's media service): the bot's token needed. */
export const TEAMS_MEDIA_HOSTS = ['*.asm.skype.com'] as const;

/** Teams' file attachments: the bytes are at `content.downloadUrl`. */
const TEAMS_FILE = 'application/vnd.microsoft.teams.file.download.info';

/** A data: URL small enough to sit in an activity (the activity itself is bounded, 256 KB). */
const MAX_DATA_URL_BYTES = 262_144;

const FETCH_TIMEOUT_MS = 15_000;

export interface ChannelFilesDeps {
  service: AttachmentService;
  serviceUrls: ServiceUrlPolicy;
  /** The bot's token for the channel's own hosts (none without an identity: the Emulator). */
  token?: () => Promise<string | undefined>;
}

interface Source {
  url: string;
  name?: string;
  declaredType?: string;
  /** Teams' inline images come without a name: named image-1, image-2... */
  image?: boolean;
}

const refusedFile = (name: string, why: string) =>
  new AppError('ATTACHMENT_REFUSED', `"${name}" cannot be fetched: ${why}`, 400);

/** What of an activity's attachments is a file: Teams adds the message body as text/html, cards are not files. */
export function fileSources(a: ActivityJson): Source[] {
  const out: Source[] = [];
  for (const att of a.attachments ?? []) {
    if (typeof att?.contentType !== 'string') continue;
    const type = att.contentType.toLowerCase();
    if (type === TEAMS_FILE) {
      const url = (att.content as { downloadUrl?: unknown } | undefined)?.downloadUrl;
      if (typeof url === 'string') out.push({ url, ...(att.name ? { name: att.name } : {}) });
      continue;
    }
    if (type.startsWith('text/') || type.startsWith('application/vnd.microsoft.')) continue;
    // Teams declares inline images as "image/*": a wildcard says nothing the bytes do not say better.
    const declared = type.includes('*') ? {} : { declaredType: att.contentType };
    if (typeof att.contentUrl === 'string')
      out.push({
        url: att.contentUrl,
        ...declared,
        ...(att.name ? { name: att.name } : {}),
        image: type.startsWith('image/'),
      });
  }
  return out.slice(0, 20);
}

function hostIn(host: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));
}

/** A data: URL's bytes (base64 or percent-encoded), when small. */
function dataUrlBytes(url: string, name: string): { bytes: Buffer; type: string } {
  const m = /^data:([^,;]*)((?:;[^,;]*)*),(.*)$/s.exec(url);
  if (!m) throw refusedFile(name, 'a malformed data: URL');
  if (m[3]!.length > (MAX_DATA_URL_BYTES * 4) / 3 + 4) throw refusedFile(name, 'a data: URL larger than 256 KB');
  const bytes = /;base64/i.test(m[2]!) ? Buffer.from(m[3]!, 'base64') : Buffer.from(decodeURIComponent(m[3]!));
  return { bytes, type: m[1] || 'application/octet-stream' };
}

export class ChannelFiles {
  constructor(private readonly deps: ChannelFilesDeps) {}

  /**
   * The token goes only to the host of the activity's serviceUrl and Microsoft's channel hosts (Teams inline images
   * on smba.trafficmanager.net need it); SharePoint's download URLs are pre-authenticated and never see it.
   */
  private async headersFor(url: URL, serviceUrl: string | undefined): Promise<Record<string, string>> {
    const host = url.hostname.toLowerCase();
    const own = serviceUrl !== undefined && URL.canParse(serviceUrl) && new URL(serviceUrl).host === url.host;
    if (!own && !hostIn(host, MICROSOFT_SERVICE_HOSTS) && !hostIn(host, TEAMS_MEDIA_HOSTS)) return {};
    const token = await this.deps.token?.();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** Why a URL is not one of the channel's hosts (or undefined when it may be fetched). */
  private refused(url: URL): string | undefined {
    const host = url.hostname.toLowerCase();
    const https = url.protocol === 'https:' && !url.username && !url.password;
    if (https && (hostIn(host, FILE_DOWNLOAD_HOSTS) || hostIn(host, TEAMS_MEDIA_HOSTS))) return undefined;
    return refusedServiceUrl(url.href, this.deps.serviceUrls);
  }

  private async download(s: Source, name: string, serviceUrl: string | undefined) {
    const max = this.deps.service.limits.maxBytes;
    if (s.url.startsWith('data:')) return dataUrlBytes(s.url, name);
    if (!URL.canParse(s.url)) throw refusedFile(name, 'not a URL');
    const url = new URL(s.url);
    const why = this.refused(url);
    if (why) throw refusedFile(name, `${url.host || url.protocol} is not one of the channel's hosts (${why})`);
    // No redirect followed, the size capped while reading (the shared fetch of files given by URL).
    const got = await fetchFile(url.href, {
      maxBytes: max,
      timeoutMs: FETCH_TIMEOUT_MS,
      headers: await this.headersFor(url, serviceUrl),
    });
    return { bytes: got.bytes, type: s.declaredType ?? got.contentType };
  }

  /** Every file of the message, stored; one refused undoes the others (the message is refused as a whole). */
  async accept(conversationId: string, a: ActivityJson): Promise<AttachmentRef[]> {
    const refs: AttachmentRef[] = [];
    try {
      for (const [i, s] of fileSources(a).entries()) {
        const name = s.name ?? `${s.image ? 'image' : 'file'}-${i + 1}`;
        const got = await this.download(s, name, a.serviceUrl);
        refs.push(
          await this.deps.service.accept({
            conversationId,
            name,
            bytes: got.bytes,
            ...(got.type ? { declaredType: got.type } : {}),
          }),
        );
      }
      return refs;
    } catch (err) {
      await this.discard(conversationId, refs);
      throw err;
    }
  }

  discard(conversationId: string, refs: AttachmentRef[]): Promise<unknown> {
    return Promise.all(refs.map((r) => this.deps.service.discard(conversationId, r.id).catch(() => undefined)));
  }
}

const REFUSED: Record<Lang, Record<'type' | 'size' | 'quota' | 'other', string>> = {
  fr: {
    type: 'Ce fichier n’est pas accepté : envoyez une photo (JPEG, PNG, WebP, HEIC) ou un PDF.',
    size: 'Ce fichier est trop volumineux. Envoyez un fichier plus petit.',
    quota: 'Cette conversation a atteint le nombre maximal de fichiers.',
    other: 'Je n’ai pas pu recevoir ce fichier. Réessayez ou envoyez-le autrement.',
  },
  ro: {
    type: 'Acest fișier nu este acceptat: trimiteți o fotografie (JPEG, PNG, WebP, HEIC) sau un PDF.',
    size: 'Acest fișier este prea mare. Trimiteți un fișier mai mic.',
    quota: 'Această conversație a atins numărul maxim de fișiere.',
    other: 'Nu am putut primi acest fișier. Încercați din nou sau trimiteți-l altfel.',
  },
  en: {
    type: 'This file is not accepted: send a photo (JPEG, PNG, WebP, HEIC) or a PDF.',
    size: 'This file is too large. Please send a smaller one.',
    quota: 'This conversation already holds the most files it may.',
    other: 'I could not receive this file. Please try again or send it another way.',
  },
};

/**
 * An agent's files on an outgoing activity: images as attachments with our signed URL (Teams and Web Chat show
 * them), other files (PDFs) as their name and link in the text, since Teams takes no file by URL from a bot.
 */
export function outgoingFiles(
  a: ActivityJson,
  files: AttachmentRef[],
  urlOf: (f: AttachmentRef) => string,
): ActivityJson {
  const images = files.filter((f) => f.contentType.startsWith('image/'));
  const others = files.filter((f) => !f.contentType.startsWith('image/'));
  const links = others.map((f) => `${f.name}: ${urlOf(f)}`).join('\n');
  return {
    ...a,
    ...(links ? { text: a.text ? `${a.text}\n\n${links}` : links } : {}),
    ...(images.length
      ? { attachments: images.map((f) => ({ contentType: f.contentType, contentUrl: urlOf(f), name: f.name })) }
      : {}),
  };
}

/** What the customer is told of a refused file (Teams shows no HTTP status), by the error's code. */
export function refusalText(err: AppError, lang: Lang): string {
  const t = REFUSED[lang];
  if (err.code === 'UNSUPPORTED_MEDIA_TYPE') return t.type;
  if (err.code === 'ATTACHMENT_TOO_LARGE') return t.size;
  if (err.code === 'ATTACHMENT_QUOTA_EXCEEDED') return t.quota;
  return t.other;
}
