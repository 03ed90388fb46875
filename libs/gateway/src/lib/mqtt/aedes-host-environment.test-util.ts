import * as aedes from 'aedes';
import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest environment for specs that start an aedes broker: `@jest-environment
 * ./src/lib/mqtt/aedes-host-environment.test-util.ts` in the spec's docblock, then
 * `jest.mock('aedes', () => globalThis.__fireiotHostAedes)`.
 *
 * Why: aedes 1.x is ESM-only. Node (≥ 20.19) loads it with `require(esm)`, which is what the
 * gateway's CommonJS build does at run time, but Jest's module registry cannot on Node < 24.9
 * ("Must use import to load ES Module"). This environment module is loaded by Node's own
 * `require`, so it can load aedes and hand the module to the test sandbox. The broker talks to
 * its clients over real TCP sockets, so nothing depends on which realm it was loaded in.
 * (The alternative, transforming aedes and its ESM dependencies with SWC through
 * `transformIgnorePatterns`, belongs in the Jest configuration.)
 */
export const HOST_AEDES_GLOBAL = '__fireiotHostAedes';

export default class AedesHostEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    this.global[HOST_AEDES_GLOBAL] = aedes;
  }
}
