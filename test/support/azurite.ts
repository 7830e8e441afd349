/** Azurite for tests: in memory, on free ports, stopped by the test (dev/azurite.ts does the work). */
export { startAzurite, type Azurite } from '../../dev/azurite';
