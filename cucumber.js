// cucumber-js 12 on Node 20: TypeScript steps are loaded through tsx's ESM loader, registered first.
//
// The protocol-era matrix (scripts/bdd.sh runs every profile; the world reads `clientEra` and `upstreamEra`):
// - default: every feature, with 2025-11-25 clients (SDK v1, sessions) in front of 2025-11-25 servers;
// - modernClients: the features tagged @client-eras again, with 2026-07-28 clients (SDK v2, stateless);
// - modernUpstreams: the features tagged @upstream-eras again, in front of servers that speak only 2026-07-28;
// - modernBoth: the features tagged with both, with 2026-07-28 on both sides.
// @legacy-only and @modern-only mark scenarios that hold for one client era only.
const common = {
  import: ['features/support/register-tsx.js', 'features/support/**/*.ts', 'features/steps/**/*.ts'],
  formatOptions: { snippetInterface: 'async-await' },
};

const run = (name, tags, worldParameters) => ({
  ...common,
  tags,
  worldParameters,
  format: ['progress', `message:reports/cucumber-messages-${name}.ndjson`, 'summary'],
});

export default run('legacy', 'not @modern-only', { clientEra: 'legacy', upstreamEra: 'legacy' });
export const modernClients = run('modern-clients', '@client-eras and not @legacy-only', { clientEra: 'modern', upstreamEra: 'legacy' });
export const modernUpstreams = run('modern-upstreams', '@upstream-eras and not @modern-only', { clientEra: 'legacy', upstreamEra: 'modern' });
export const modernBoth = run('modern-both', '@client-eras and @upstream-eras and not @legacy-only', { clientEra: 'modern', upstreamEra: 'modern' });
