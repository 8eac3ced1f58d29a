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
    expect(() => loadConfig({ WIDGET_ALLOWED_ORIGINS: 'https://shop.example,https://shop.example/path' })).toThrow(
      /WIDGET_ALLOWED_ORIGINS: "https:\/\/shop.example\/path" is not an origin/,
    );
    expect(() => loadConfig({ WIDGET_ALLOWED_ORIGINS: 'shop.example' })).toThrow(
      /WIDGET_ALLOWED_ORIGINS: "shop.example"/,
    );
  });
});

describe('Direct Line token key', () => {
  it('uses a development key unless in production, where DIRECTLINE_TOKEN_SECRET is required', () => {
    expect(loadConfig({}).directLine.devTokenSecret).toBe(true);
    const production = {
      NODE_ENV: 'production',
      HANDOFF_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
      AGENT_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
      ADMIN_TOKENS: 'alice:admin:0123456789abcdef0123',
      AGENT_TOKENS: 'Marie:0123456789abcdef0123',
      MICROSOFT_APP_ID: '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e',
      MICROSOFT_APP_PASSWORD: 'client~secret',
    };
    expect(() => loadConfig(production)).toThrow(/DIRECTLINE_TOKEN_SECRET is required with NODE_ENV=production/);
    const key = 'k'.repeat(32);
    expect(loadConfig({ ...production, DIRECTLINE_TOKEN_SECRET: key }).directLine).toEqual({
      tokenSecret: key,
      devTokenSecret: false,
    });
    expect(() => loadConfig({ DIRECTLINE_TOKEN_SECRET: 'short' })).toThrow(
      /DIRECTLINE_TOKEN_SECRET must be at least 32 characters/,
    );
    expect(() => loadConfig({ DIRECTLINE_SECRET: 'short' })).toThrow(
      /DIRECTLINE_SECRET must be at least 32 characters/,
    );
  });
});

it('WIDGET_ALLOWED_ORIGINS: comma-separated origins, none by default', () => {
  expect(loadConfig({}).widget.allowedOrigins).toEqual([]);
  expect(
    loadConfig({ WIDGET_ALLOWED_ORIGINS: ' https://shop.example , http://localhost:8080,' }).widget.allowedOrigins,
  ).toEqual(['https://shop.example', 'http://localhost:8080']);
});

describe('admin tokens', () => {
  const good = 'alice:admin:0123456789abcdef0123,bob:editor:fedcba9876543210fedc';
  it('parses name:role:token and names the bad item without showing its token', () => {
    expect(loadConfig({ ADMIN_TOKENS: good }).admin).toEqual({
      users: [
        { name: 'alice', role: 'admin', token: '0123456789abcdef0123' },
        { name: 'bob', role: 'editor', token: 'fedcba9876543210fedc' },
      ],
      devToken: false,
    });
    expect(() => loadConfig({ ADMIN_TOKENS: 'carol:owner:0123456789abcdef0123' })).toThrow(
      /ADMIN_TOKENS: "carol:owner:…": role must be editor or admin/,
    );
    expect(() => loadConfig({ ADMIN_TOKENS: 'carol:admin:short' })).toThrow(/at least 16 characters/);
    expect(() => loadConfig({ ADMIN_TOKENS: 'carol:admin:short' })).not.toThrow(/short/);
  });
  it('uses a development token unless in production, where tokens are required', () => {
    expect(loadConfig({}).admin.devToken).toBe(true);
    const secrets = {
      HANDOFF_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
      AGENT_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
      DIRECTLINE_TOKEN_SECRET: 'a-direct-line-token-key-of-32-chars!',
      AGENT_TOKENS: 'Marie:0123456789abcdef0123',
    };
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets })).toThrow(/ADMIN_TOKENS is required/);
    const bot = { MICROSOFT_APP_ID: '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e', MICROSOFT_APP_PASSWORD: 'client~secret' };
    expect(loadConfig({ NODE_ENV: 'production', ...secrets, ADMIN_TOKENS: good, ...bot }).admin.users).toHaveLength(2);
  });
});

describe('Bot Framework identity', () => {
  const prod = {
    NODE_ENV: 'production',
    HANDOFF_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
    AGENT_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
    ADMIN_TOKENS: 'alice:admin:0123456789abcdef0123',
    DIRECTLINE_TOKEN_SECRET: 'a-direct-line-token-key-of-32-chars!',
    AGENT_TOKENS: 'Marie:0123456789abcdef0123',
  };
  const appId = '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e';
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';

  it('production lists every missing setting in one message', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /HANDOFF_WEBHOOK_SECRET and AGENT_WEBHOOK_SECRET are required[\s\S]*ADMIN_TOKENS is required[\s\S]*DIRECTLINE_TOKEN_SECRET is required[\s\S]*MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD/,
    );
  });

  it('is optional in development (Bot Framework Emulator, anonymous)', () => {
    expect(loadConfig({}).botframework).toEqual({ appType: 'MultiTenant', queueUpdateMs: 60_000, serviceUrlAllow: [] });
  });

  it('is required in production, naming the variables', () => {
    expect(() => loadConfig(prod)).toThrow(
      /MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD .* required with NODE_ENV=production/,
    );
    expect(() => loadConfig({ ...prod, MICROSOFT_APP_ID: appId })).toThrow(
      /MICROSOFT_APP_PASSWORD .* is required with MICROSOFT_APP_ID and MICROSOFT_APP_TYPE=MultiTenant/,
    );
    expect(
      loadConfig({ ...prod, MICROSOFT_APP_ID: appId, MICROSOFT_APP_PASSWORD: 's3cret' }).botframework,
    ).toMatchObject({ appId, appPassword: 's3cret', appType: 'MultiTenant' });
  });

  it('checks the app type, tenant and id format', () => {
    expect(
      loadConfig({ MICROSOFT_APP_ID: appId, MICROSOFT_APP_PASSWORD: 's', MICROSOFT_APP_TENANT_ID: tenant }).botframework
        .appType,
    ).toBe('SingleTenant');
    expect(() =>
      loadConfig({ MICROSOFT_APP_ID: appId, MICROSOFT_APP_PASSWORD: 's', MICROSOFT_APP_TYPE: 'SingleTenant' }),
    ).toThrow(/MICROSOFT_APP_TENANT_ID is required with MICROSOFT_APP_TYPE=SingleTenant/);
    expect(
      loadConfig({ MICROSOFT_APP_ID: appId, MICROSOFT_APP_TYPE: 'UserAssignedMSI', MICROSOFT_APP_TENANT_ID: tenant })
        .botframework,
    ).toEqual({ appId, tenantId: tenant, appType: 'UserAssignedMSI', queueUpdateMs: 60_000, serviceUrlAllow: [] });
    expect(() => loadConfig({ MICROSOFT_APP_TYPE: 'Personal' })).toThrow(
      /MICROSOFT_APP_TYPE must be one of MultiTenant, SingleTenant, UserAssignedMSI/,
    );
    expect(() => loadConfig({ MICROSOFT_APP_ID: 'my-bot' })).toThrow(/MICROSOFT_APP_ID must be .* a GUID/);
    expect(() => loadConfig({ MICROSOFT_APP_PASSWORD: 's' })).toThrow(
      /MICROSOFT_APP_PASSWORD is set but MICROSOFT_APP_ID is empty/,
    );
  });
});

describe('agent tokens (the desk at /agent)', () => {
  it('parses name:token pairs', () => {
    expect(loadConfig({ AGENT_TOKENS: ' Marie:0123456789abcdef0123 , Ion:fedcba9876543210:fe ' }).desk).toEqual({
      users: [
        { name: 'Marie', token: '0123456789abcdef0123' },
        { name: 'Ion', token: 'fedcba9876543210:fe' },
      ],
      devToken: false,
    });
  });

  it('refuses a short token, a missing one or a name given twice, naming the item without its token', () => {
    const refusal = (v: string) => {
      try {
        loadConfig({ AGENT_TOKENS: v });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`AGENT_TOKENS=${v} was accepted`);
    };
    const short = refusal('Marie:0123456789abcdef0123,Ion:tooshort');
    expect(short).toMatch(/AGENT_TOKENS: "Ion:…": token must be at least 16 characters/);
    expect(short).not.toContain('tooshort');
    expect(refusal('Marie')).toMatch(/AGENT_TOKENS: "Marie:…" must be name:token/);
    expect(refusal(':0123456789abcdef0123')).toMatch(/must be name:token/);
    expect(refusal('Ion:0123456789abcdef0123,Ion:fedcba9876543210fedc')).toMatch(/"Ion:…": name given twice/);
  });

  it('uses one development agent with a random token when empty, refused in production', () => {
    const dev = loadConfig({}).desk;
    expect(dev.devToken).toBe(true);
    expect(dev.users).toHaveLength(1);
    expect(dev.users[0]!.token.length).toBeGreaterThanOrEqual(16);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AGENT_TOKENS is required with NODE_ENV=production/);
    const production = {
      NODE_ENV: 'production',
      HANDOFF_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
      AGENT_WEBHOOK_SECRET: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NQ==',
      ADMIN_TOKENS: 'alice:admin:0123456789abcdef0123',
      DIRECTLINE_TOKEN_SECRET: 'k'.repeat(32),
      MICROSOFT_APP_ID: '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e',
      MICROSOFT_APP_PASSWORD: 'client~secret',
    };
    expect(() => loadConfig(production)).toThrow(/AGENT_TOKENS is required with NODE_ENV=production/);
    expect(loadConfig({ ...production, AGENT_TOKENS: 'Marie:0123456789abcdef0123' }).desk.devToken).toBe(false);
  });
});
