import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Import boundaries of the design (DESIGN.md §1); lint holds them. */
const layer = (files, forbidden, extra = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbidden.map((folder) => ({
            group: [`**/${folder}/**`, `**/${folder}`],
            message: `this layer must not import ${folder}/ (see DESIGN.md §1)`,
          })),
          ...extra,
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'web/.next/', 'web/.next-test/', 'web/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  layer(
    ['engine/**'],
    ['db', 'api', 'workflows', 'activities', 'web', 'worker', 'platform'],
    [
      {
        group: ['node:fs*', 'node:net', 'node:http*', 'node:child_process', 'pg', 'kysely', '@temporalio/*'],
        message: 'engine/ is pure: no I/O',
      },
    ],
  ),
  layer(['db/**'], ['api', 'web', 'workflows', 'worker']),
  layer(['api/**'], ['web', 'workflows', 'worker']),
  layer(['activities/**'], ['api', 'web', 'workflows', 'worker']),
  layer(['platform/**'], ['db', 'api', 'web', 'workflows', 'activities', 'worker']),
  {
    files: ['workflows/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/db/**',
                '**/db',
                '**/api/**',
                '**/web/**',
                '**/worker/**',
                '**/platform/**',
                'pg',
                'kysely',
              ],
              message: 'workflows are deterministic: no I/O (DESIGN.md §1)',
            },
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message: 'workflows import activities only with `import type`',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
