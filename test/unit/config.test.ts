import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfig } from '../../src/config';

describe('config', () => {
  it('has working defaults with an empty environment (npm start needs no .env)', () => {
    const c = loadConfig({}, '/srv/bot');
    expect(c).toMatchObject({ port: 3978, defaultLang: 'fr', kbDir: '/srv/bot/knowledge-base', logLevel: 'info' });
  });

  it('.env.example documents exactly the defaults', () => {
    const example = parseEnv(readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8'));
    expect(loadConfig(example, '/x')).toEqual(loadConfig({}, '/x'));
  });

  it('refuses bad values with a message naming the variable and the value', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT="abc" must be a number between 0 and 65535/);
    expect(() => loadConfig({ MATCH_ANSWER_THRESHOLD: '1.5' })).toThrow(/MATCH_ANSWER_THRESHOLD="1.5"/);
    expect(() => loadConfig({ DEFAULT_LANG: 'de' })).toThrow(/DEFAULT_LANG/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});
