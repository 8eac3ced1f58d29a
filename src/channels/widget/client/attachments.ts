/**
 * Sending a file from the widget: the attach button (and, on touch screens, a separate "take a photo" one that opens
 * the camera), drag and drop onto the panel, paste of a clipboard image; a preview (thumbnail, name, size, remove)
 * and a progress bar while it uploads (XMLHttpRequest: fetch reports no upload progress); errors in the visitor's
 * language, checked here first (type, size) and then from the server's answer (413, 415, 429). File names are
 * customer text: they only ever become text nodes and attribute values.
 */
import { el } from './dom';
import { FILE_STRINGS, fileSize, type FileStrings } from './attachStrings';
import { STRINGS, type UiLang, type UiStrings } from './strings';
import type { Conversation } from './types';

/** What the upload needs from the widget. */
export interface Host {
  api: string;
  lang: UiLang;
  /** ATTACHMENT_MAX_BYTES as the page says it (data-max-file-bytes), else the server's default. */
  maxBytes: number;
  conversation(): Promise<Conversation>;
  /** The conversation is gone (401): the next call to conversation() makes a new one. */
  forget(): void;
  /** After the upload: show the stored message and the bot's replies. */
  uploaded(): Promise<unknown>;
}

export const ACCEPT = 'image/jpeg,image/png,image/webp,image/heic,application/pdf';
const TYPES = new Set([...ACCEPT.split(','), 'image/heif']);
const EXTENSIONS = /\.(jpe?g|png|webp|hei[cf]|pdf)$/i;

/** The server's answer to an upload: its status and error code. */
interface Answer {
  status: number;
  code?: string;
  /** The server's limit in a 413 ("... is larger than 10485760 bytes ..."): it may differ from the page's. */
  maxBytes?: number;
}

/** Read a file into a data: URL (the demo page's CSP allows data: images, not blob:). */
export function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('unreadable file'));
    r.readAsDataURL(blob);
  });
}

function fileInput(accept: string, capture: boolean): HTMLInputElement {
  const input = el('input');
  input.type = 'file';
  input.accept = accept;
  if (capture) input.setAttribute('capture', 'environment');
  input.hidden = true;
  input.tabIndex = -1;
  return input;
}

function iconButton(cls: string, label: string, path: string): HTMLButtonElement {
  const b = el('button', `icon ${cls}`);
  b.type = 'button';
  b.setAttribute('aria-label', label);
  b.title = label;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  b.append(svg);
  return b;
}

const CLIP =
  'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z';
const CAMERA =
  'M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z';

export class Composer {
  /** The file chosen and not yet sent. */
  private file: File | undefined;
  private sending = false;
  private readonly tray = el('div', 'tray');
  private readonly progress = el('progress');
  private readonly live = el('div', 'sr');
  private readonly error = el('div', 'file-error');
  private t: UiStrings;
  private f: FileStrings;
  private readonly labelled: { node: HTMLElement; word: 'attach' | 'camera' | 'preview' }[] = [];

  constructor(
    private readonly host: Host,
    { panel, form, input }: { panel: HTMLElement; form: HTMLFormElement; input: HTMLTextAreaElement },
  ) {
    this.t = STRINGS[host.lang];
    const f = (this.f = FILE_STRINGS[host.lang]);
    const attach = iconButton('attach', f.attach, CLIP);
    const picker = fileInput(ACCEPT, false);
    attach.addEventListener('click', () => picker.click());
    picker.addEventListener('change', () => this.picked(picker));
    const buttons: HTMLElement[] = [picker, attach];
    // The camera only where there is one to point at the parcel: phones and tablets.
    if (window.matchMedia?.('(pointer: coarse)').matches) {
      const camera = iconButton('camera', f.camera, CAMERA);
      const shot = fileInput('image/*', true);
      camera.addEventListener('click', () => shot.click());
      shot.addEventListener('change', () => this.picked(shot));
      buttons.push(shot, camera);
      this.labelled.push({ node: camera, word: 'camera' });
    }
    this.labelled.push({ node: attach, word: 'attach' }, { node: this.tray, word: 'preview' });
    // After the message box: Shift+Tab from it still reaches the latest message's buttons.
    form.querySelector('.send')?.before(...buttons);
    this.tray.hidden = true;
    this.tray.setAttribute('role', 'group');
    this.tray.setAttribute('aria-label', f.preview);
    this.progress.max = 100;
    this.live.setAttribute('aria-live', 'polite');
    this.error.setAttribute('role', 'alert');
    panel.insertBefore(this.error, form);
    panel.insertBefore(this.tray, form);
    panel.insertBefore(this.live, form);
    this.listen(panel, input);
  }

  /** The conversation's language changed: the file words follow it. */
  relabel(lang: UiLang): void {
    this.host.lang = lang;
    this.t = STRINGS[lang];
    this.f = FILE_STRINGS[lang];
    for (const { node, word } of this.labelled) {
      node.setAttribute('aria-label', this.f[word]);
      if (node instanceof HTMLButtonElement) node.title = this.f[word];
    }
  }

  /** A file waits to be sent (Send then uploads it, with the typed text). */
  get pending(): boolean {
    return this.file !== undefined;
  }

  private listen(panel: HTMLElement, input: HTMLTextAreaElement): void {
    const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    panel.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      panel.classList.add('dropping');
      panel.dataset.drop = this.f.dropHere;
    });
    panel.addEventListener('dragleave', (e) => {
      if (!panel.contains(e.relatedTarget as Node | null)) panel.classList.remove('dropping');
    });
    panel.addEventListener('drop', (e) => {
      panel.classList.remove('dropping');
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      this.choose(file);
    });
    // A screenshot or photo copied to the clipboard; pasted text stays text.
    input.addEventListener('paste', (e) => {
      const file = e.clipboardData?.files[0];
      if (!file) return;
      e.preventDefault();
      this.choose(file);
    });
  }

  private picked(picker: HTMLInputElement): void {
    const file = picker.files?.[0];
    picker.value = ''; // choosing the same file again fires change again
    if (file) this.choose(file);
  }

  /** Checked here first, so a wrong file costs no upload; the server checks again from the bytes. */
  private check(file: File): string | undefined {
    const f = this.f;
    const known = TYPES.has(file.type) || (!file.type && EXTENSIONS.test(file.name));
    if (!known) return f.wrongType(file.name);
    if (file.size > this.host.maxBytes) return f.tooLarge(file.name, fileSize(this.host.maxBytes, this.host.lang));
    if (file.size === 0) return f.empty(file.name);
    return undefined;
  }

  choose(file: File): void {
    if (this.sending) return;
    const refused = this.check(file);
    this.showError(refused ?? '');
    if (refused) return;
    this.file = file;
    this.showPreview(file);
  }

  private showPreview(file: File): void {
    const f = this.f;
    const item = el('div', 'item');
    if (file.type.startsWith('image/') && !/hei[cf]/.test(file.type)) {
      const img = el('img');
      img.alt = '';
      void dataUrl(file).then(
        (src) => (img.src = src),
        () => img.remove(),
      );
      item.append(img);
    } else item.append(el('span', 'doc', file.type === 'application/pdf' ? 'PDF' : '▣'));
    const label = el('span', 'name', file.name);
    const size = el('span', 'size', fileSize(file.size, this.host.lang));
    const remove = el('button', 'remove', '×');
    remove.type = 'button';
    remove.setAttribute('aria-label', f.remove(file.name));
    remove.addEventListener('click', () => this.clear());
    item.append(label, size, remove);
    this.tray.replaceChildren(item);
    this.tray.hidden = false;
  }

  clear(): void {
    this.file = undefined;
    this.tray.replaceChildren();
    this.tray.hidden = true;
  }

  private showError(text: string): void {
    this.error.textContent = text;
  }

  /** Send the chosen file as a customer message, with the text typed (if any). False if it was not sent. */
  async send(text: string): Promise<boolean> {
    const file = this.file;
    if (!file || this.sending) return false;
    this.sending = true;
    this.showError('');
    this.tray.append(this.progress);
    this.progress.value = 0;
    this.live.textContent = this.f.uploading(file.name);
    this.progress.setAttribute('aria-label', this.live.textContent);
    try {
      let answer = await this.post(await this.host.conversation(), file, text);
      if (answer.status === 401) {
        this.host.forget();
        answer = await this.post(await this.host.conversation(), file, text);
      }
      if (answer.status === 201) {
        this.clear();
        // The file is stored: another may be chosen while the transcript catches up (a paste was lost otherwise).
        this.sending = false;
        this.progress.remove();
        await this.host.uploaded();
        return true;
      }
      this.refused(file, answer);
    } catch {
      this.showError(this.f.failed(file.name));
    } finally {
      this.sending = false;
      this.progress.remove();
      this.live.textContent = '';
    }
    return false;
  }

  /** The server's refusal, said in the visitor's words; a file that can never be sent leaves the tray. */
  private refused(file: File, a: Answer): void {
    const f = this.f;
    const max = fileSize(a.maxBytes ?? this.host.maxBytes, this.host.lang);
    const text =
      a.status === 413
        ? f.tooLarge(file.name, max)
        : a.status === 415
          ? f.wrongType(file.name)
          : a.code === 'ATTACHMENT_QUOTA_EXCEEDED'
            ? f.tooMany
            : a.status === 429
              ? this.t.slowDown
              : a.code === 'EMPTY_FILE'
                ? f.empty(file.name)
                : f.failed(file.name);
    this.showError(text);
    if (a.status === 413 || a.status === 415 || a.code === 'ATTACHMENT_QUOTA_EXCEEDED' || a.code === 'EMPTY_FILE')
      this.clear();
  }

  private post(c: Conversation, file: File, text: string): Promise<Answer> {
    const form = new FormData();
    form.append('file', file, file.name);
    if (text) form.append('text', text);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.host.api}/api/conversations/${encodeURIComponent(c.conversationId)}/attachments`);
      xhr.setRequestHeader('authorization', `Bearer ${c.token}`);
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) this.progress.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener('load', () => {
        const answer: Answer = { status: xhr.status };
        try {
          const e = (JSON.parse(xhr.responseText) as { error?: { code?: string; message?: string } }).error;
          if (e?.code) answer.code = e.code;
          const limit = bytesIn(e?.message ?? '');
          if (xhr.status === 413 && limit) answer.maxBytes = limit;
        } catch {
          /* not JSON: the status says enough */
        }
        resolve(answer);
      });
      xhr.addEventListener('error', () => reject(new Error('network')));
      xhr.addEventListener('abort', () => reject(new Error('aborted')));
      xhr.send(form);
    });
  }
}

/** The number before " bytes" in the server's 413 message (a loop: /(\d+) bytes/ is quadratic on long digit runs). */
function bytesIn(message: string): number | undefined {
  const end = message.indexOf(' bytes');
  let start = end;
  while (start > 0 && message[start - 1]! >= '0' && message[start - 1]! <= '9') start--;
  return end > start ? Number(message.slice(start, end)) : undefined;
}
