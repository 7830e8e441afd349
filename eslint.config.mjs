import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.local/', 'console-dist/', '*.js', '*.mjs', 'console/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    // dev/ is the local stack and the emulators: nothing that ships may depend on it.
    files: ['functions/**/*.ts', 'shared/**/*.ts', 'cli/**/*.ts', 'console/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/dev/*', '**/dev'], message: 'Production code may not import dev/ (the local stack and emulators).' }] }],
    },
  },
  {
    // Every route reads its body with readBody (shared/http/adminRequest.ts), which stops at the limit while reading.
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['arrayBuffer', 'blob', 'formData', 'json', 'text'].map((property) => ({ object: 'request', property, message: 'Read a request body with readBody or readJsonBody: they stop at the limit while reading.' })),
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
