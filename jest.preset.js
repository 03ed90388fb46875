// Shared by every project's jest.config.js. TypeScript is compiled by SWC (fast, and it emits
// the decorator metadata NestJS needs); type checking is the build's and the linter's job.
// `@nx/jest/preset` brings a resolver that follows the `@fireiot/*` paths of tsconfig.base.json.
const nxPreset = require('@nx/jest/preset').default;

module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  // Integration specs start real services (an embedded PostgreSQL, Nest apps, brokers) in their
  // hooks; with every project's specs running at once on two cores that can outlast Jest's 5 s.
  testTimeout: 60_000,
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  coverageReporters: ['text-summary', 'html'],
};
