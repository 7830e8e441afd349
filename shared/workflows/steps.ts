/**
 * The shape of a use case written as a table of named steps (the replacement, the hand-over; the joiner
 * adds its own hooks): each step looks at what the steps before found, on an explicit context, and either
 * answers the call's result or lets the next step go on.
 */
export interface Step<Context, Result> {
  readonly name: string;
  readonly run: (ctx: Context) => Promise<Result | undefined>;
}

/** Runs the steps in order until one answers; the last step always does. */
export async function runSteps<Context, Result>(steps: readonly Step<Context, Result>[], ctx: Context): Promise<Result> {
  for (const step of steps) {
    const result = await step.run(ctx);
    if (result !== undefined) return result;
  }
  throw new Error(`the steps ${steps.map((step) => step.name).join(', ')} ended without a result`);
}

/** What a step needs that an earlier step found: an error in the table's order if it is not there. */
export function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`a step needs ${what} before an earlier step found it`);
  return value;
}
