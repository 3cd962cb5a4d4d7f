#!/usr/bin/env node
// The `switchboard` command runs the compiled JavaScript in dist/ (`npm run build`; `npm install` builds it through
// the prepare script, and the published package ships it). Compiling TypeScript at run time cost about 80 MB of
// memory. tsx remains for development: `npm run serve`.
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    console.error('switchboard: dist/ is missing; run `npm run build` (or `npm install`, which builds it)');
    process.exit(1);
  }
  throw error;
}
