import type { GraphEmulatorControl } from '../dev/graph/control';

/**
 * The Graph emulator's throttle models, chosen through its variants API (POST /_emulator/variants,
 * key `throttle`): `singleBucket` (every request from one bucket of `rate` a second: what the emulator
 * did first, set through its fault settings), `identity` (Microsoft's documented identity and access
 * limits: resource units per 10 s by tenant size, writes per 150 s, hardware OATH calls among them) and
 * `oathGlobalOnly` (the same, with the hardware OATH calls under the global limit only, since the docs
 * do not list them).
 */
export const THROTTLE_MODELS = ['singleBucket', 'oathGlobalOnly', 'identity'] as const;
export type ThrottleModel = (typeof THROTTLE_MODELS)[number];

export async function applyThrottleModel(graph: GraphEmulatorControl, model: ThrottleModel, rate: number, latencyMs: number): Promise<void> {
  await graph.setVariants({ throttle: model });
  // The single bucket is the fault settings' throttle; the documented models bring their own limits.
  await graph.setFaults({ latencyMs, ...(model === 'singleBucket' ? { throttle: { requests: rate, windowMs: 1000 } } : {}) });
}
