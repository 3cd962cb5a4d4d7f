// cucumber-js 12 on Node 20: TypeScript steps are loaded through tsx's ESM loader, registered first.
const common = {
  import: ['features/support/register-tsx.js', 'features/support/**/*.ts', 'features/steps/**/*.ts'],
  formatOptions: { snippetInterface: 'async-await' },
};

export default {
  ...common,
  // Every feature, with 2025-11-25 clients (SDK v1, sessions).
  format: ['progress', 'message:reports/cucumber-messages.ndjson', 'summary'],
  tags: 'not @modern-only',
};

/** `CLIENT_ERA=modern cucumber-js -p modern`: the features tagged @both-eras again, with 2026-07-28 clients (SDK v2). */
export const modern = {
  ...common,
  format: ['progress', 'message:reports/cucumber-messages-modern.ndjson', 'summary'],
  tags: '@both-eras and not @legacy-only',
};
