import type { TableClient } from '@azure/data-tables';
import type { Clock, IntakeFailureLimit } from '../ports';
import { tableSlots } from './tableSlots';

/**
 * The failed-intake budget in Table storage, so that it holds across instances: `limit` slots per
 * caller (tableSlots), each taken for an hour, so a caller can never have more than `limit` at once.
 */

const INTAKE_FAILURE_WINDOW_MS = 60 * 60 * 1000;

export function tableIntakeFailures(table: TableClient, clock: Clock, limit: number): IntakeFailureLimit {
  const slots = tableSlots(table, clock, { limit, holdMs: INTAKE_FAILURE_WINDOW_MS });
  return {
    async claim(callerId) {
      const claim = await slots.claim(callerId);
      if (!claim.ok) return claim;
      const { slot } = claim;
      return {
        ok: true,
        slot: {
          async failed() {
            // Held past its hour and taken by another intake: that one counts against the caller now.
            await slot.holdAgain('failed');
          },
          release: () => slot.release(),
        },
      };
    },
  };
}
