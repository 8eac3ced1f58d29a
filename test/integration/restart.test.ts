/**
 * A real server process on a real SQLite file: stopped (SIGTERM) or killed (SIGKILL) between two messages
 * of a dialog, then started again. Nothing written is lost and the dialog continues at the same step.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBotProcess, stopProcess } from '../support/processes';

/** The widget API's answer to a message (what these tests read of it). */
interface Replies {
  conversationId: string;
  token: string;
  replies: { text: string; source: { kind: string; id?: string } }[];
  messages: { id: number; from: string; text: string }[];
}

const dataDir = mkdtempSync(join(tmpdir(), 'savbot-restart-'));
const children = new Set<ChildProcess>();

const startServer = async () => {
  const server = await startBotProcess({ DATABASE_URL: '', SQLITE_FILE: join(dataDir, 'bot.db') });
  children.add(server.child);
  return server;
};

const stop = async (child: ChildProcess, signal: NodeJS.Signals) => {
  await stopProcess(child, signal);
  children.delete(child);
};

async function api(base: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Replies };
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe.each([['SIGTERM (restart)'], ['SIGKILL (kill -9)']])(
  'server stopped by %s in the middle of a dialog',
  (how) => {
    it('resumes the dialog at the same step with the whole transcript', async () => {
      const signal: NodeJS.Signals = how.startsWith('SIGKILL') ? 'SIGKILL' : 'SIGTERM';
      let server = await startServer();
      const { json: conv } = await api(server.base, '/api/conversations', undefined, { lang: 'fr' });
      const first = await api(server.base, `/api/conversations/${conv.conversationId}/messages`, conv.token, {
        text: 'où en est ma commande ?',
      });
      expect(first.json.replies[0].source).toEqual({ kind: 'dialog', id: 'order-tracking' });

      await stop(server.child, signal);
      server = await startServer();

      const second = await api(server.base, `/api/conversations/${conv.conversationId}/messages`, conv.token, {
        text: 'MV-4813390',
      });
      expect(second.status).toBe(200);
      expect(second.json.replies[0].source).toEqual({ kind: 'dialog', id: 'order-tracking' });
      // The answer of the step after the order number (the back office's cancelled record, whatever today's date
      // is: the server runs on the real clock): the dialog went on from where it was, it did not start again or take
      // the number for something else.
      expect(second.json.replies[0].text).toBe(
        "Votre commande MV-4813390 a été annulée. Si vous l'aviez payée, le remboursement est fait sur le moyen de " +
          "paiement d'origine sous 5 à 10 jours ouvrés ; un e-mail vous le confirme.",
      );

      const { json: history } = await api(
        server.base,
        `/api/conversations/${conv.conversationId}/messages`,
        conv.token,
      );
      const lines = history.messages.map((m: { from: string; text: string }) => `${m.from}: ${m.text}`);
      expect(lines[0]).toBe('customer: où en est ma commande ?');
      expect(lines[1]).toBe(`bot: ${first.json.replies[0].text}`);
      expect(lines[2]).toBe('customer: MV-4813390');
      expect(lines.slice(3)).toEqual(second.json.replies.map((r: { text: string }) => `bot: ${r.text}`));
      const ids = history.messages.map((m: { id: number }) => m.id);
      expect([...ids].sort((a: number, b: number) => a - b)).toEqual(ids);
      await stop(server.child, 'SIGTERM');
    }, 90_000);
  },
);
