import { GraphEmulatorControlError, type GraphEmulatorControl } from '../dev/graph/control';

/**
 * The Graph emulator's throttle models, chosen through its variants API (POST /_emulator/variants,
 * key `throttle`): `singleBucket` (every request from one bucket of `rate` a second: what the emulator
 * did first, set through its fault settings), `identity` (Microsoft's documented identity and access
 * limits: resource units per 10 s by tenant size, writes per 150 s, hardware OATH calls among them) and
 * `oathGlobalOnly` (the same, with the hardware OATH calls under the global limit only, since the docs
 * do not list them). An emulator without the variant runs `singleBucket` alone; the others are reported
 * as not run, with why.
 */
export const THROTTLE_MODELS = ['singleBucket', 'oathGlobalOnly', 'identity'] as const;
export type ThrottleModel = (typeof THROTTLE_MODELS)[number];

export type ThrottleSetup = { applied: true; model: ThrottleModel; note?: string } | { applied: false; model: ThrottleModel; note: string };

export async function applyThrottleModel(graph: GraphEmulatorControl, model: ThrottleModel, rate: number, latencyMs: number): Promise<ThrottleSetup> {
  let note: string | undefined;
  try {
    // Typed loosely: until the throttle models land, GraphVariants has no such key (the emulator answers 400).
    const variants: Record<string, unknown> = { throttle: model };
    await graph.setVariants(variants);
  } catch (error) {
    if (!(error instanceof GraphEmulatorControlError) || error.status !== 400) throw error;
    note = `this Graph emulator has no throttle variant (${error.message.slice(0, 120)}); `;
    if (model !== 'singleBucket') return { applied: false, model, note: `${note}not run: rerun once the emulator's throttle models are merged` };
    note += 'the single bucket set through the fault settings instead';
  }
  // The single bucket is the fault settings' throttle; the documented models bring their own limits.
  await graph.setFaults({ latencyMs, ...(model === 'singleBucket' ? { throttle: { requests: rate, windowMs: 1000 } } : {}) });
  return { applied: true, model, ...(note ? { note } : {}) };
}
