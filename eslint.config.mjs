import nx from '@nx/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * Module boundaries. Every project carries one `type:*` and one `scope:*` tag (project.json).
 * Types form layers: apps on top, then shells (composed Nest apps), features, data access, and at the bottom codecs and
 * domain logic, which depend on nothing but utilities. Scopes keep bounded contexts apart.
 */
const depConstraints = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'type:shell',
      'type:feature',
      'type:data-access',
      'type:domain',
      'type:codec',
      'type:util',
    ],
  },
  // A shell composes features into a runnable Nest application that several apps share; a shell
  // may build on another (alerting-service plugs into runtime's lifecycle).
  {
    sourceTag: 'type:shell',
    onlyDependOnLibsWithTags: [
      'type:shell',
      'type:feature',
      'type:data-access',
      'type:domain',
      'type:codec',
      'type:util',
    ],
  },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:codec', 'type:util'],
  },
  // Data access may build on shared data access (the pool and its token live in storage).
  {
    sourceTag: 'type:data-access',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:codec', 'type:util'],
  },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:codec', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:protocol', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:shared'] },
  { sourceTag: 'scope:ingest', onlyDependOnLibsWithTags: ['scope:ingest', 'scope:protocol', 'scope:shared'] },
  // Alerting (classification, alarms, notification, the apps' API) reads what ingestion published.
  { sourceTag: 'scope:alerting', onlyDependOnLibsWithTags: ['scope:alerting', 'scope:protocol', 'scope:shared'] },
  {
    sourceTag: 'scope:cli',
    onlyDependOnLibsWithTags: ['scope:cli', 'scope:ingest', 'scope:protocol', 'scope:shared'],
  },
  // The browser apps (apps/web) talk to the platform over HTTP and socket.io only: no server code in a bundle.
  { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:web'] },
  // The composition root of `npm start`: the one project allowed to wire every scope together.
  {
    sourceTag: 'scope:platform',
    onlyDependOnLibsWithTags: ['scope:platform', 'scope:alerting', 'scope:ingest', 'scope:protocol', 'scope:shared'],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/coverage', '**/.fireiot', '**/tmp', '**/.nx'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: true,
          checkNestedExternalImports: true,
          depConstraints,
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['apps/web/**/*.tsx', 'apps/web/**/*.ts'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
