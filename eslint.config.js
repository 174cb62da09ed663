// Lint rules. The one that matters most keeps src/protocol/ pure: codecs must not
// reach for sockets, files, timers or threads, so they stay testable byte by byte.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impureModules = [
  'net',
  'tls',
  'fs',
  'fs/promises',
  'worker_threads',
  'child_process',
  'timers',
  'timers/promises',
  'dgram',
  'http',
  'https',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'test', property: 'only', message: 'Do not commit test.only.' },
        { object: 'describe', property: 'only', message: 'Do not commit describe.only.' },
      ],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: impureModules.flatMap((m) => [
            { name: m, message: 'src/protocol/ is pure: no I/O, timers or threads.' },
            { name: `node:${m}`, message: 'src/protocol/ is pure: no I/O, timers or threads.' },
          ]),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'src/protocol/ is pure: no timers.' },
        { name: 'setInterval', message: 'src/protocol/ is pure: no timers.' },
        { name: 'setImmediate', message: 'src/protocol/ is pure: no timers.' },
        { name: 'process', message: 'src/protocol/ is pure: no process state.' },
      ],
    },
  },
);
