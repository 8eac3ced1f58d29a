/** Terminal formatting of the agent desk: colours (off without a terminal or with NO_COLOR), times, clipping. */
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
export const bold = paint('1');
export const dim = paint('2');
export const red = paint('31');
export const green = paint('32');
export const yellow = paint('33');
export const cyan = paint('36');

export const hhmm = (iso: string | undefined) => {
  const d = iso ? new Date(iso) : undefined;
  return d && Number.isFinite(d.getTime()) ? d.toTimeString().slice(0, 5) : '--:--';
};
export const since = (iso: string | undefined) => {
  const ms = iso ? Date.now() - Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) return '';
  const min = Math.max(0, Math.round(ms / 60_000));
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
};
export const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export const HELP = `Commands:
  /list                  open handoffs (queued or with an agent)
  /join <n> [name]       take conversation <n> (as [name], default: the desk's name)
  <n> <text>             answer conversation <n>  (same as /say <n> <text>)
  /typing <n>            show "typing..." to the customer
  /close <n> [note]      hand conversation <n> back to the bot (it asks the customer for a 1-5 rating)
  /help                  this list
  /quit                  leave (Ctrl-D too)
<n> is the number the desk shows as #n; a full conversation id works too.`;

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
