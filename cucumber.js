// cucumber-js 12 on Node 20: TypeScript steps are loaded through tsx's ESM loader, registered first.
export default {
  import: ['features/support/register-tsx.js', 'features/support/**/*.ts', 'features/steps/**/*.ts'],
  format: ['progress', 'message:reports/cucumber-messages.ndjson', 'summary'],
  formatOptions: { snippetInterface: 'async-await' },
};
