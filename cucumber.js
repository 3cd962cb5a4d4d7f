// cucumber-js 12 on Node 20: TypeScript steps are loaded through tsx's ESM loader, registered first.
const common = {
  import: ['features/support/register-tsx.js', 'features/support/**/*.ts', 'features/steps/**/*.ts'],
  formatOptions: { snippetInterface: 'async-await' },
};

export default {
  ...common,
  format: ['progress', 'message:reports/cucumber-messages.ndjson', 'summary'],
};

// The features tagged @upstream-eras once more, with upstream servers that speak only MCP 2026-07-28.
export const modernUpstreams = {
  ...common,
  tags: '@upstream-eras',
  worldParameters: { upstreamEra: 'modern' },
  format: ['progress', 'message:reports/cucumber-messages-modern-upstreams.ndjson', 'summary'],
};
