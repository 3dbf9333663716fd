// Lint: typescript-eslint everywhere, plus n8n's community-node rules for nodes, credentials and package.json (the
// n8n package: no runtime dependencies, as n8n's verification requires; the runtime is packages/runtime).
import tseslint from 'typescript-eslint';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import globals from 'globals';


export default tseslint.config(
  { ignores: ['dist/**', 'packages/runtime/dist/**', 'packages/runtime/bin/**', 'packages/runtime/index.js', 'node_modules/**', 'coverage/**', 'test-results/**', 'bench/results/**', 'data/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // the contract ships with the nodes, so it follows their rules
    files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'src/contract/**/*.ts', 'package.json'],
    plugins: { '@n8n/community-nodes': n8nCommunityNodesPlugin },
    rules: n8nCommunityNodesPlugin.configs.recommended.rules,
  },
  {
    files: ['package.json'],
    languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
  },
  {
    // the dashboard: browser ES modules, no build step, so nothing but lint catches a name a split left behind
    files: ['src/runtime/dashboard/public/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
    rules: { 'no-undef': 'error', 'no-unused-vars': 'error' },
  },
);
