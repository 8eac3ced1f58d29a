import { pickLang, type UiLang } from './strings';

/**
 * Start the widget from the page's snippet (`<script src=".../widget.js" data-lang data-title data-api
 * data-max-file-bytes>`), once per page (the snippet pasted twice makes one widget), once the body exists.
 */
export function boot(create: (api: string, lang: UiLang, title: string | undefined, maxFileBytes?: number) => unknown) {
  const script = document.currentScript as HTMLScriptElement | null;
  const w = window as unknown as { savbotWidget?: unknown };
  if (w.savbotWidget) return;
  let api = script?.dataset.api || (script?.src ? new URL(script.src, location.href).origin : location.origin);
  // Trailing slashes off (a loop: /\/+$/ backtracks quadratically on a long run of slashes).
  while (api.endsWith('/')) api = api.slice(0, -1);
  const lang = pickLang(script?.dataset.lang, document.documentElement.lang);
  const maxFileBytes = Number(script?.dataset.maxFileBytes) || undefined;
  const start = () => (w.savbotWidget = create(api, lang, script?.dataset.title, maxFileBytes));
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
}
