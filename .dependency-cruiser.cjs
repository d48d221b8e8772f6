/**
 * The dependency rule of docs/architecture.md, checked by dependency-cruiser (`npx depcruise src --config
 * .dependency-cruiser.cjs`, a step of scripts/test.sh): imports run down the layers only, agent and
 * server-lite never import each other, nothing in src/ imports tests or benchmarks, and there are no
 * cycles between files. Type-only imports count (`tsPreCompilationDeps`).
 */

/** Each folder of src/ and the folders it may import from (besides itself). */
const LAYERS = {
  lib: [],
  generated: ['lib'],
  protocols: ['lib'],
  recipe: ['generated', 'lib'],
  inventory: ['protocols', 'recipe', 'lib'],
  handlers: ['inventory', 'protocols', 'recipe', 'lib'],
  agent: ['handlers', 'inventory', 'protocols', 'recipe', 'generated', 'lib'],
  'server-lite': ['recipe', 'lib'],
  simulate: ['protocols', 'lib'],
  demo: ['simulate', 'inventory', 'protocols', 'recipe', 'lib'],
  cli: ['agent', 'server-lite', 'demo', 'simulate', 'handlers', 'inventory', 'protocols', 'recipe', 'lib'],
};

/** The agent's network client leans only on the layers below the agent, never on the agent's own core. */
const AGENT_LEAVES = ['net'];

const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ may import only from ${allowed.length === 0 ? 'itself' : `itself and ${allowed.join(', ')}`} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(${[layer, ...allowed].join('|')})/` },
}));

const leafRules = AGENT_LEAVES.map((leaf) => ({
  name: `agent-${leaf}-leaf`,
  comment: `src/agent/${leaf}/ is used by the agent, and does not use it`,
  severity: 'error',
  from: { path: `^src/agent/${leaf}/` },
  to: { path: '^src/agent/', pathNot: `^src/agent/${leaf}/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no cycles between files',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    ...leafRules,
    {
      name: 'no-unplaced-folder',
      comment: 'every folder of src/ has its place in the layers (LAYERS here, docs/architecture.md)',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${Object.keys(LAYERS).join('|')})/` },
      to: {},
    },
    {
      name: 'not-to-tests-or-benchmarks',
      comment: 'shipped code never imports tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
