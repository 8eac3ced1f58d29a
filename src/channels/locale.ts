import { isLang, type Lang } from '../domain/types';

/** Our language for a channel locale ("fr-FR", "ro", "en-GB"), or undefined for the others. */
export function langOfLocale(locale: string | undefined): Lang | undefined {
  const l = locale?.slice(0, 2).toLowerCase();
  return isLang(l) ? l : undefined;
}
