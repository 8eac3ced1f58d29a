/**
 * The layers of ../shared/DESIGN.md and docs/ARCHITECTURE.md as rules: each folder of src/ names the folders it may
 * import; anything else, an import cycle, a storage back end imported outside the wiring, or a framework/driver in
 * the conversation core fails `npm run lint`.
 */
const MAY_IMPORT = {
  domain: [],
  nlp: ['domain'],
  connectors: ['domain'],
  eval: ['domain'],
  storage: ['domain'],
  matching: ['domain', 'nlp'],
  knowledge: ['domain', 'nlp'],
  dialogs: ['domain', 'nlp', 'knowledge', 'connectors'],
  handoff: ['domain', 'nlp', 'storage'],
  content: ['domain', 'nlp', 'matching', 'knowledge', 'dialogs', 'connectors'],
  engine: ['domain', 'nlp', 'matching', 'knowledge', 'dialogs', 'handoff', 'storage', 'content'],
  insights: ['domain', 'nlp', 'storage', 'server'],
  metrics: ['domain', 'handoff', 'storage', 'engine', 'server'],
  privacy: ['domain', 'nlp', 'storage', 'server'],
  attachments: ['domain', 'storage'],
  server: ['domain'],
  channels: ['domain', 'nlp', 'engine', 'handoff', 'storage', 'server', 'attachments'],
  editor: ['domain', 'nlp', 'matching', 'knowledge', 'dialogs', 'connectors', 'content', 'engine', 'storage', 'server'],
  config: ['domain'],
};

const layerRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
  name: `layer-${folder}`,
  comment: `src/${folder}/ may import only ${allowed.length ? allowed.map((a) => `src/${a}/`).join(', ') : 'nothing of the project'} (docs/ARCHITECTURE.md)`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: '^src/', pathNot: [`^src/(${[folder, ...allowed].join('|')})/`] },
}));

const FRAMEWORKS = '(express|ws|pg|better-sqlite3|kysely|@microsoft/[^/]+|botframework-[^/]+|esbuild|pino)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'import cycles make layers meaningless',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'core-knows-no-framework',
      comment:
        'the conversation core knows no HTTP framework, channel SDK, database driver or logger: channels and storage translate',
      severity: 'error',
      from: { path: '^src/(domain|nlp|matching|knowledge|dialogs|content|engine|handoff)/' },
      to: { path: [`(^|/)node_modules/${FRAMEWORKS}/`, `^${FRAMEWORKS}$`] },
    },
    {
      name: 'storage-back-ends-only-in-wiring',
      comment: 'only the wiring (app.ts) picks a storage back end; everything else depends on src/storage/ports.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/app\\.ts$', '^src/storage/'] },
      to: { path: '^src/storage/', pathNot: ['^src/storage/ports\\.ts$'] },
    },
    {
      name: 'channels-stay-apart',
      comment: 'a channel uses the shared helpers of src/channels/, never another channel folder',
      severity: 'error',
      from: { path: '^src/channels/([^/]+)/' },
      to: { path: '^src/channels/[^/]+/', pathNot: ['^src/channels/$1/'] },
    },
    {
      name: 'product-not-from-scripts-or-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(scripts|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/channels/(widget|desk)/client/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
