import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-artifacts/', 'coverage/', 'bench/.work/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // TypeScript resolves names; no-undef only misreads Node globals.
      'no-undef': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Layering (docs/ARCHITECTURE.md): domains know nothing of HTTP or storage.
    files: ['src/{oauth,keys,clients,accounts,projects,token,discovery,upstream,seed,userinfo,sessions,grants,authorize,audit,scopes,outbound,claims,subjects,logout,request-object,jarm,signup,dpop,fapi,par,mtls,exchange,device}/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['fastify', 'kysely', '**/storage/**', '**/http/**', 'better-sqlite3', 'pg'] },
      ],
    },
  },
  {
    files: ['src/http/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['kysely', '**/storage/kysely/**', 'better-sqlite3', 'pg'] }] },
  },
);
