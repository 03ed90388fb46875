// The aedes module loaded by the test environment (see apps/platform/jest.config.js).
module.exports = globalThis.__fireiotHostAedes;
