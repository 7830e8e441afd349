import { ImportFileError } from '../domain/importFile';
import type { AuditLog, IntakeFailureLimit } from '../ports';

/**
 * The import's guard against probing: every refused seed file is audited with its caller, and a caller
 * whose files were refused INTAKE_FAILURES_PER_HOUR times in the last hour is refused before the next
 * file is read. Sending a vendor's encrypted file again and again, altered a little each time, is how
 * an oracle would be queried; ten tries an hour are plenty for an admin correcting a mistake.
 */

export const INTAKE_FAILURES_PER_HOUR = 10;

export type GuardedIntake<T> = { outcome: 'done'; value: T } | { outcome: 'limited'; retryAfterSeconds: number } | { outcome: 'refused'; error: ImportFileError };

export interface IntakeContext {
  /** The caller's immutable id (the token's oid): the budget is theirs, whatever their name. */
  callerId: string;
  actor: string;
  correlationId: string;
  /** What was sent, for the audit: format and size, never content. */
  what: string;
}

export async function guardedIntake<T>(deps: { intakeFailures: IntakeFailureLimit; audit: AuditLog }, context: IntakeContext, run: () => Promise<T>): Promise<GuardedIntake<T>> {
  const audit = (detail: string) => deps.audit.record({ actor: context.actor, action: 'tokens.import.refused', correlationId: context.correlationId, outcome: 'rejected', detail: `${context.what}: ${detail}` });
  const claim = await deps.intakeFailures.claim(context.callerId);
  if (!claim.ok) {
    await audit(`not read: ${INTAKE_FAILURES_PER_HOUR} seed files of this caller were refused in the last hour`);
    return { outcome: 'limited', retryAfterSeconds: claim.retryAfterSeconds };
  }
  let value: T;
  try {
    value = await run();
  } catch (error) {
    if (!(error instanceof ImportFileError)) {
      await claim.slot.release();
      throw error;
    }
    await claim.slot.failed();
    await audit(error.message);
    return { outcome: 'refused', error };
  }
  await claim.slot.release();
  return { outcome: 'done', value };
}
