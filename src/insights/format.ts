import type { Figures, Stat } from './figures';

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);

/** A duration in ms as people read it: 850 ms, 12.4 s, 3.2 min, 1.5 h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

const statText = (s: Stat | null) =>
  s ? `avg ${duration(s.avg)}, p50 ${duration(s.p50)}, p90 ${duration(s.p90)} (n=${s.n})` : '-';
const counts = (o: Record<string, number>) =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '-';

/** Counts with their share of the conversations: the handoff rate per reason or queue. */
const share = (o: Record<string, number>, total: number) =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n} (${pct(total ? n / total : null)})`)
    .join(', ') || '-';

/** 👍/👎 on answers, overall and per entry (most votes first). */
function helpful(f: Figures): string {
  const h = f.helpfulness;
  if (!h.up && !h.down) return '-';
  const entries = Object.entries(h.byEntry)
    .sort((a, b) => b[1].up + b[1].down - (a[1].up + a[1].down) || a[0].localeCompare(b[0]))
    .map(([id, e]) => `${id} ${e.up}/${e.down} (${pct(e.rate)})`)
    .join(', ');
  return `${pct(h.rate)} (up ${h.up}, down ${h.down}; by entry up/down: ${entries})`;
}

/** The figures as a two-column text table (npm run report). */
export function formatFigures(
  f: Figures & { unanswered?: { text: string; count: number; langs: string[] }[] },
): string {
  const filter = Object.entries(f.filter)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const rows: [string, string][] = [
    ['period', `${f.from} .. ${f.to}${filter ? ` (${filter})` : ''}`],
    ['conversations', String(f.conversations)],
    ['customer messages', String(f.customerMessages)],
    ['first response time', statText(f.firstResponseMs)],
    ['response time', statText(f.responseMs)],
    ['time to resolution', statText(f.resolutionMs)],
    ['resolved by the bot', `${f.resolved.byBot} (${pct(f.resolved.botRate)})`],
    ['resolved by a person', String(f.resolved.byPerson)],
    ['unresolved', String(f.resolved.unresolved)],
    [
      'handoff rate',
      `${pct(f.handoffs.rate)} (${f.handoffs.conversations} conversations, ${f.handoffs.requests} requests)`,
    ],
    ['handoffs by reason', share(f.handoffs.byReason, f.conversations)],
    ['handoffs by queue', share(f.handoffs.byQueue, f.conversations)],
    ['time to agent', statText(f.agentJoinMs)],
    [
      'CSAT',
      f.csat.average === null
        ? '-'
        : `${f.csat.average.toFixed(2)} / 5 (n=${f.csat.count}; ${[1, 2, 3, 4, 5].map((k) => `${k}: ${f.csat.distribution[String(k) as '1']}`).join(', ')})`,
    ],
    ['helpful answers', helpful(f)],
    ['replies by kind', counts(f.replies as Record<string, number>)],
    ['by language', counts(Object.fromEntries(Object.entries(f.byLang).map(([k, b]) => [k, b.conversations])))],
    ['by channel', counts(Object.fromEntries(Object.entries(f.byChannel).map(([k, b]) => [k, b.conversations])))],
    ['by topic', counts(Object.fromEntries(Object.entries(f.byTopic).map(([k, b]) => [k, b.conversations])))],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (f.unanswered?.length) {
    lines.push('', 'most frequent unanswered questions:');
    for (const u of f.unanswered)
      lines.push(
        `  ${String(u.count).padStart(4)}  [${u.langs.join(',')}] ${u.text.replace(/\s+/g, ' ').slice(0, 100)}`,
      );
  }
  return lines.join('\n');
}
