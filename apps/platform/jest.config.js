module.exports = {
  displayName: 'platform',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/apps/platform',
  // Specs run the embedded platform in process, with its aedes broker (ESM-only): Node loads it
  // in the environment and the sandbox gets it from there (see the gateway's environment).
  testEnvironment: '<rootDir>/../../libs/gateway/src/lib/mqtt/aedes-host-environment.test-util.ts',
  moduleNameMapper: { '^aedes$': '<rootDir>/src/lib/aedes-host.shim.js' },
};
