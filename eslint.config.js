import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// A folder of src/ is a module whose public surface is its index.ts: from outside the folder, only that file may be
// imported (a sub-folder's index.ts is the sub-module's surface). Relative paths are what is checked, so the rule
// needs no resolver.
const message = "import the folder's public surface (its index.js), not a file inside it";
const intoSrcInternals = { regex: '(^|/)src/(?:[^/]+/)+(?!index\\.js$)[^/]+$', message };
const srcBoundaries = [
  intoSrcInternals,
  // From a file in src/: another folder's file (../x/y.js, ../../x/y.js), or a sub-folder's file (./x/y.js).
  { regex: '^(?:\\.\\./)+[^./][^/]*/(?:[^/]+/)*(?!index\\.js$)[^/]+$', message },
  { regex: '^\\./[^/]+/(?:[^/]+/)*(?!index\\.js$)[^/]+$', message },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.conformance/**', 'reports/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', Buffer: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['scripts/**', 'bin/**', 'mock-servers/**'], rules: { 'no-console': 'off' } },
  { files: ['src/**'], rules: { 'no-restricted-imports': ['error', { patterns: srcBoundaries }] } },
  { ignores: ['src/**'], rules: { 'no-restricted-imports': ['error', { patterns: [intoSrcInternals] }] } },
);
