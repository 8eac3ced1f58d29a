/** The widget's words for files (attach, preview, upload, errors, viewer), apart from strings.ts so each part of the
 * widget keeps its own table; same languages, picked the same way. */
import type { UiLang } from './strings';

export interface FileStrings {
  attach: string;
  camera: string;
  /** The area above the message box with the file about to be sent. */
  preview: string;
  remove: (name: string) => string;
  uploading: (name: string) => string;
  tooLarge: (name: string, max: string) => string;
  wrongType: (name: string) => string;
  empty: (name: string) => string;
  /** The conversation holds as many files as it may (429 ATTACHMENT_QUOTA_EXCEEDED). */
  tooMany: string;
  failed: (name: string) => string;
  dropHere: string;
  openImage: (name: string) => string;
  download: (name: string) => string;
  closeImage: string;
}

export const FILE_STRINGS: Record<UiLang, FileStrings> = {
  fr: {
    attach: 'Joindre une photo ou un PDF',
    camera: 'Prendre une photo',
    preview: 'Fichier à envoyer',
    remove: (n) => `Retirer ${n}`,
    uploading: (n) => `Envoi de ${n}…`,
    tooLarge: (n, max) => `${n} est trop volumineux : ${max} au maximum par fichier.`,
    wrongType: (n) => `${n} ne peut pas être envoyé : seulement des photos (JPEG, PNG, WebP, HEIC) et des PDF.`,
    empty: (n) => `${n} est vide.`,
    tooMany: 'Cette conversation a déjà reçu le nombre maximal de fichiers.',
    failed: (n) => `${n} n'a pas pu être envoyé. Réessayez.`,
    dropHere: 'Déposez le fichier pour le joindre',
    openImage: (n) => `Agrandir ${n}`,
    download: (n) => `Télécharger ${n}`,
    closeImage: "Fermer l'image",
  },
  ro: {
    attach: 'Atașați o fotografie sau un PDF',
    camera: 'Faceți o fotografie',
    preview: 'Fișierul de trimis',
    remove: (n) => `Eliminați ${n}`,
    uploading: (n) => `Se trimite ${n}…`,
    tooLarge: (n, max) => `${n} este prea mare: cel mult ${max} pentru un fișier.`,
    wrongType: (n) => `${n} nu poate fi trimis: doar fotografii (JPEG, PNG, WebP, HEIC) și fișiere PDF.`,
    empty: (n) => `${n} este gol.`,
    tooMany: 'Această conversație a primit deja numărul maxim de fișiere.',
    failed: (n) => `${n} nu a putut fi trimis. Încercați din nou.`,
    dropHere: 'Plasați fișierul aici pentru a-l atașa',
    openImage: (n) => `Măriți ${n}`,
    download: (n) => `Descărcați ${n}`,
    closeImage: 'Închideți imaginea',
  },
  en: {
    attach: 'Attach a photo or PDF',
    camera: 'Take a photo',
    preview: 'File to send',
    remove: (n) => `Remove ${n}`,
    uploading: (n) => `Sending ${n}…`,
    tooLarge: (n, max) => `${n} is too big: at most ${max} per file.`,
    wrongType: (n) => `${n} cannot be sent: only photos (JPEG, PNG, WebP, HEIC) and PDF files.`,
    empty: (n) => `${n} is empty.`,
    tooMany: 'This conversation already has as many files as it can hold.',
    failed: (n) => `${n} could not be sent. Please try again.`,
    dropHere: 'Drop the file to attach it',
    openImage: (n) => `Open ${n} full size`,
    download: (n) => `Download ${n}`,
    closeImage: 'Close the image',
  },
};

/** A file size as people read it, in the language's number format: "850 KB", "2.4 MB" ("2,4 Mo" in French). */
export function fileSize(bytes: number, lang: UiLang): string {
  const fmt = (n: number) => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(n);
  const [kb, mb] = lang === 'fr' ? ['Ko', 'Mo'] : ['KB', 'MB'];
  if (bytes < 1024 * 1024) return `${fmt(Math.max(1, Math.round(bytes / 1024)))} ${kb}`;
  return `${fmt(bytes / 1024 / 1024)} ${mb}`;
}
