/**
 * The graph of src/ stays one-way (shared/STYLE.md): downstream front → session → catalog → upstream, with auth
 * supplying credentials and the store keeping tokens. eslint (eslint.config.js) keeps imports to a folder's index.ts;
 * this keeps the folders themselves from depending on each other in a circle.
 */
module.exports = { // eslint-disable-line no-undef -- a CommonJS file, as dependency-cruiser reads its config
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'A cycle, through runtime imports, between files of src/ (type-only imports do not count: they vanish at build).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-folder-cycle',
      comment: 'Folders depend on each other one way: a folder imported by another must not import it back, not even for types.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/', pathNot: '^src/$1/', circular: true },
    },
    {
      name: 'upstream-knows-no-downstream',
      comment: 'Upstream connections serve views; they never reach up into the fronts, the views or auth.',
      severity: 'error',
      from: { path: '^src/(upstream|catalog|store|principal|config|log)/' },
      to: { path: '^src/(http|session)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
