/**
 * Files in the conversation (the customer's or an agent's): images as thumbnails that open full size in a viewer
 * (Escape or its button closes it, focus goes back to the thumbnail), other files (PDFs) as a chip that downloads.
 * The download needs the conversation's Bearer token, which an <img src> cannot send: each file is fetched once and
 * shown from a data: URL. Names are customer text: text nodes and attribute values only.
 */
import { dataUrl } from './attachments';
import { FILE_STRINGS, fileSize, type FileStrings } from './attachStrings';
import { el } from './dom';
import type { UiLang } from './strings';
import type { Attachment, Conversation } from './types';

export interface ViewHost {
  api: string;
  lang: UiLang;
  /** The current conversation (undefined once forgotten: nothing to fetch). */
  conv(): Conversation | undefined;
}

export class FileView {
  /** One download per file, whatever the number of times it is shown. */
  private readonly cache = new Map<string, Promise<Blob>>();
  private readonly viewer = el('div', 'viewer');
  private readonly big = el('img');
  private readonly shut = el('button', 'close', '×');
  private back: HTMLElement | undefined;
  private f: FileStrings;

  /** The conversation's language changed: the viewer's words follow it. */
  relabel(lang: UiLang): void {
    this.host.lang = lang;
    this.f = FILE_STRINGS[lang];
    this.shut.setAttribute('aria-label', this.f.closeImage);
  }

  constructor(
    private readonly host: ViewHost,
    panel: HTMLElement,
  ) {
    this.f = FILE_STRINGS[host.lang];
    this.viewer.hidden = true;
    this.viewer.setAttribute('role', 'dialog');
    this.viewer.setAttribute('aria-modal', 'true');
    this.shut.type = 'button';
    this.shut.setAttribute('aria-label', this.f.closeImage);
    this.shut.addEventListener('click', () => this.closeViewer());
    this.viewer.addEventListener('click', (e) => e.target === this.viewer && this.closeViewer());
    this.viewer.addEventListener('keydown', (e) => {
      // Escape closes the image, not the whole chat; Tab stays on the one control.
      if (e.key === 'Escape') this.closeViewer();
      if (e.key !== 'Escape' && e.key !== 'Tab') return;
      e.preventDefault();
      e.stopPropagation();
    });
    this.viewer.append(this.big, this.shut);
    panel.append(this.viewer);
  }

  /** A message's files, between its text and its time line. */
  show(node: HTMLElement, files: Attachment[]): void {
    const box = el('div', 'files');
    for (const a of files) box.append(a.contentType.startsWith('image/') ? this.thumb(a) : this.chip(a));
    node.insertBefore(box, node.querySelector('.meta'));
  }

  private fetch(a: Attachment): Promise<Blob> {
    let p = this.cache.get(a.id);
    if (!p) {
      const c = this.host.conv();
      if (!c) return Promise.reject(new Error('no conversation'));
      const url = `${this.host.api}/api/conversations/${encodeURIComponent(c.conversationId)}/attachments/${encodeURIComponent(a.id)}`;
      p = fetch(url, { headers: { authorization: `Bearer ${c.token}` } }).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.blob();
      });
      p.catch(() => this.cache.delete(a.id)); // tried again the next time it is shown
      this.cache.set(a.id, p);
    }
    return p;
  }

  private thumb(a: Attachment): HTMLElement {
    const b = el('button', 'thumb');
    b.type = 'button';
    b.setAttribute('aria-label', this.f.openImage(a.name));
    const img = el('img');
    img.alt = a.name;
    b.append(img);
    let src: Promise<string> | undefined;
    const load = () => (src ??= this.fetch(a).then(dataUrl));
    load().then(
      (s) => (img.src = s),
      () => (src = undefined),
    );
    b.addEventListener('click', () => void load().then((s) => this.openViewer(a.name, s, b)));
    return b;
  }

  private chip(a: Attachment): HTMLElement {
    const b = el('button', 'chip');
    b.type = 'button';
    b.setAttribute('aria-label', this.f.download(a.name));
    b.append(
      el('span', 'doc', 'PDF'),
      el('span', 'name', a.name),
      el('span', 'size', fileSize(a.size, this.host.lang)),
    );
    b.addEventListener('click', () => {
      void this.fetch(a).then((blob) => {
        // A download, not a navigation: the page's CSP for images does not apply, the name is the stored one.
        const link = el('a');
        link.href = URL.createObjectURL(blob);
        link.download = a.name;
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      });
    });
    return b;
  }

  private openViewer(name: string, src: string, from: HTMLElement): void {
    this.back = from;
    this.big.src = src;
    this.big.alt = name;
    this.viewer.setAttribute('aria-label', name);
    this.viewer.hidden = false;
    this.shut.focus();
  }

  private closeViewer(): void {
    this.viewer.hidden = true;
    this.big.removeAttribute('src');
    this.back?.focus();
  }
}
