export { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from './server';
export { graphEmulatorControl, GraphEmulatorControlError, type GraphEmulatorControl } from './control';
export { GraphStore, MAX_METHODS_PER_USER } from './store';
export { GRAPH_AUDIENCES } from './auth';
export type * from './types';
