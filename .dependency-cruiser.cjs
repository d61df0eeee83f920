// The import rules of the layers (CONTRIBUTING.md, "Layout"), checked by `npm run lint` and by
// test/layers.test.ts. Test files are left out: a test may reach across layers to set up a case.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules import in one direction only.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'app-is-the-top',
      comment:
        'app/ holds the composition roots: only the launcher (bin/), test helpers, benchmarks and the eval harness start from it.',
      severity: 'error',
      from: { pathNot: '^(app|bin|test|bench|evals)/' },
      to: { path: '^app/' },
    },
    {
      name: 'server-not-adapters',
      comment: 'The backend never imports its adapters: MCP tools, agents, the web app.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^(tools|agents|web)/' },
    },
    {
      name: 'agents-not-db',
      comment: 'Agents act through MCP tools only, never on the database.',
      severity: 'error',
      from: { path: '^agents/' },
      to: { path: '^server/db/' },
    },
    {
      name: 'libraries-not-features',
      comment:
        'Libraries (engine, net, crypto, import, cdm, domain, db, mock, discovery) import nothing above them.',
      severity: 'error',
      from: { path: '^server/(engine|net|crypto|import|cdm|domain|db|mock|discovery)/' },
      to: { path: '^server/(modules|runtime)/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^evals/data/|\\.test\\.ts$' },
  },
};
