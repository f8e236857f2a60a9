// Lint with type information: a floating promise in a door daemon is a lost error. The import rules keep the layers
// of CONTRIBUTING.md's picture: no cycles, and no import that runs back up (the core imports nothing outside itself,
// drivers never reach storage, nothing but the composition root and the CLI knows the daemon).
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Each layer above the core, and the folders (under src/) it must never import. */
const LAYERS = {
  config: [
    'drivers',
    'storage',
    'door',
    'commands',
    'services',
    'application',
    'sync',
    'webhooks',
    'mqtt',
    'api',
    'control',
    'ops',
    'cli',
    'systemd',
    'http',
    'web',
  ],
  drivers: ['storage', 'door', 'commands', 'services', 'application', 'sync', 'webhooks', 'mqtt', 'api', 'control', 'ops', 'cli', 'http', 'web'],
  storage: ['drivers', 'door', 'commands', 'services', 'application', 'sync', 'webhooks', 'mqtt', 'api', 'control', 'ops', 'cli', 'http', 'web'],
  application: ['drivers', 'door', 'commands', 'services', 'sync', 'webhooks', 'mqtt', 'api', 'control', 'ops', 'cli', 'http', 'web'],
  door: ['commands', 'services', 'application', 'sync', 'webhooks', 'mqtt', 'api', 'control', 'ops', 'cli', 'http', 'web'],
  services: ['door', 'commands', 'application', 'sync', 'webhooks', 'mqtt', 'api', 'control', 'ops', 'cli', 'http', 'web'],
  commands: ['services', 'application', 'sync', 'webhooks', 'mqtt', 'api', 'control', 'ops', 'cli', 'http', 'web'],
  // The shared HTTP stack (Fastify, limits, error bodies): used by the API and the console, knows neither.
  http: ['drivers', 'door', 'commands', 'services', 'sync', 'webhooks', 'mqtt', 'api', 'web', 'control', 'ops', 'cli'],
  // The console's pages: over the application layer and the HTTP stack, hosted by the API's worker.
  web: ['drivers', 'door', 'services', 'sync', 'webhooks', 'mqtt', 'api', 'control', 'ops', 'cli'],
};
const SERVICES = ['sync', 'mqtt', 'api', 'control', 'webhooks'];

/** Every folder and file of src/ but the ones named: the rest of the tree, as import-x zone targets. */
const below = (...above) =>
  readdirSync('src')
    .filter((entry) => !above.includes(entry) && !above.includes(entry.replace(/\.ts$/, '')))
    .map((entry) => `./src/${entry}`);

const zones = [
  // The core is pure: nothing of keypadd outside it, not even the logger.
  { target: './src/core', from: './src', except: ['./core'], message: 'the core imports nothing outside src/core' },
  ...Object.entries(LAYERS).flatMap(([layer, banned]) =>
    banned.map((folder) => ({ target: `./src/${layer}`, from: `./src/${folder}`, message: `src/${layer} sits below src/${folder}` })),
  ),
  // Services meet only through the bus and the command table, never by importing one another.
  ...SERVICES.flatMap((a) =>
    SERVICES.filter((b) => b !== a).map((b) => ({
      target: `./src/${a}`,
      from: `./src/${b}`,
      message: `services do not import one another (src/${a} → src/${b})`,
    })),
  ),
  // Only the CLI that runs it (and the systemd glue that reports on it) knows the composition root; nothing knows the CLI.
  { target: below('cli', 'systemd'), from: './src/daemon.ts', message: 'only the CLI starts the daemon' },
  { target: below('cli'), from: './src/cli', message: 'the CLI sits on top: nothing imports it' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'performance',
          'fetch',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'setImmediate',
          'URL',
          'Buffer',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
);
