/**
 * Screenshots of the agent desk (/agent) for the README (docs/screenshots/agent-*.png): three customers waiting in
 * two queues, one claimed and answered, a knowledge-base answer found, an internal note. Part of npm run screenshots.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Engine } from '../src/engine/engine';
import { loopbackContext } from '../test/support/browser';

/** A widget conversation in which the customer asks for a person. */
async function customer(base: string, lang: string, lines: string[]): Promise<string> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang }),
  });
  const c = (await res.json()) as { conversationId: string; token: string };
  for (const text of lines)
    await fetch(`${base}/api/conversations/${c.conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
      body: JSON.stringify({ text }),
    });
  return c.conversationId;
}

export async function deskScreenshots(
  base: string,
  browser: Browser,
  engine: Engine,
  agent: { name: string; token: string },
  root: string,
): Promise<string[]> {
  const dir = join(root, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const first = await customer(base, 'fr', [
    'combien de temps dure la garantie ?',
    'je veux parler à un conseiller',
    'mon lave-linge fuit depuis hier',
  ]);
  await customer(base, 'ro', ['vreau să vorbesc cu un operator', 'coletul a ajuns deteriorat']);
  const third = await customer(base, 'en', ['real person please', 'I was charged twice for my order']);
  await engine.transfer(third, 'billing', agent.name);
  const { context, offLoopback } = await loopbackContext(browser, {
    viewport: { width: 1280, height: 800 },
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const files: string[] = [];
  const shot = async (name: string) => {
    const file = join(dir, `agent-${name}.png`);
    await page.screenshot({ path: file });
    files.push(file);
  };
  await page.goto(`${base}/agent`);
  await shot('signin');
  await page.locator('#token').fill(agent.token);
  await page.locator('#token').press('Enter');
  await page.locator(`#list button.conv[data-id="${first}"]`).click();
  await shot('waiting');
  await page.locator('#claim').click();
  await page.locator('#reply').fill('Bonjour, je suis Marie. Pouvez-vous me donner le numéro de votre commande ?');
  await page.locator('#reply').press('Enter');
  await page.locator('#messages .msg.agent').last().waitFor();
  await page.locator('#kb-q').fill('garantie lave-linge');
  await page.locator('#kb-q').press('Enter');
  await page.locator('#answers li').first().waitFor();
  await page.locator('#note').fill('Deuxième fuite signalée : proposer un technicien.');
  await page.locator('#add-note').click();
  await page.locator('#notes .note').first().waitFor();
  await page.locator('#conversation').evaluate((e) => (e.scrollTop = 0));
  await shot('conversation');
  await context.close();
  if (offLoopback.length) throw new Error(`the desk requested hosts outside loopback: ${offLoopback.join(', ')}`);
  return files;
}
