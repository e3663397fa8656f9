// `npm run lint`: ESLint (flat config) with typescript-eslint's recommended rules, without type
// information (tsc --noEmit already checks types in CI; type-aware linting would compile it all
// again). Formatting is Prettier's job, not ESLint's (.prettierrc.json, `npm run format:check`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Import boundaries, one owner each (test/unit/workflow-imports.test.ts checks the same rules
// from the other side, so either catches a break).
const onlyDeterministic = {
  // Temporal replays workflow code: it may import only the workflow SDK, other workflow files and
  // the pure core, never activities, I/O or Node built-ins.
  patterns: [
    {
      regex: '^(?!@temporalio/workflow$|\\./[^/]+$|\\.\\./src/core/[^/]+$)',
      message: 'workflows/ may import only @temporalio/workflow, ./ files and ../src/core/* (deterministic code): no activities, no I/O, no Node built-ins.',
    },
  ],
};
const onlyPureCore = {
  patterns: [
    {
      regex: '^(?!\\./[^/]+$|@marcbachmann/cel-js$)',
      message: 'src/core is pure: it imports only itself and @marcbachmann/cel-js (it runs inside workflows).',
    },
  ],
};
const providersBelowIngress = {
  patterns: [
    {
      regex: '^\\.\\./(ingress|app|cli)/',
      message: 'src/providers sits below the ingress: it may not import src/ingress, src/app or src/cli.',
    },
  ],
};
// The ingress takes webhooks into the intake (the journal is its port); it knows neither Temporal
// (src/app mounts the codec endpoint on it) nor the dispatcher behind the journal, nor the app that
// assembles it.
const ingressBelowApp = {
  patterns: [
    {
      regex: '^\\.\\./(temporal|app|cli)/|^\\.\\./intake/dispatcher\\.js$|^@temporalio/',
      message:
        'src/ingress may not import src/temporal, src/app, src/cli, src/intake/dispatcher or @temporalio/*: take what it needs as a port in IngressDeps, built by src/app.',
    },
  ],
};
const benchStandsAlone = {
  patterns: [{ regex: '^(\\.\\./)+test(/|$)', message: 'bench/ imports nothing from test/: move what both need into bench/ or src/.' }],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.hookflow/', 'bench/tmp/', 'bench/peers/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2022, sourceType: 'module' },
  },
  // The console's page runs in the browser.
  {
    files: ['src/console/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names mark a parameter or binding kept on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A `let` assigned once but read first (a timer a callback clears) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-var': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', onlyDeterministic] },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', onlyPureCore] },
  },
  {
    files: ['src/providers/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', providersBelowIngress] },
  },
  {
    files: ['src/ingress/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', ingressBelowApp] },
  },
  {
    files: ['bench/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', benchStandsAlone] },
  },
  {
    // Tests read untyped JSON answers, and write the literals whose precision the code must keep.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-loss-of-precision': 'off' },
  },
);
