import type { HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { hasUnsafeNoteCharacters } from '../domain/text';
import { REVOKE_REASONS } from '../domain/token';
import { json, problem } from './problem';
import type { TokenActionResult } from '../workflows/revokeToken';

/** An admin's free-text note, kept in the row and the audit: short, and nothing that would fool its reader. */
export const noteSchema = z
  .string()
  .trim()
  .max(500)
  .refine((note) => !hasUnsafeNoteCharacters(note), 'must not contain control characters (other than tab and line feed) or bidirectional overrides');

/** The body of a revoke, by user or by serial. */
export const revokeSchema = z.object({
  reason: z.enum(REVOKE_REASONS as [string, ...string[]], { message: `must be one of ${REVOKE_REASONS.join(', ')}` }),
  note: noteSchema.optional(),
});

/** A revoke, suspend or resume result as the admin API answers it. */
export function answer(result: TokenActionResult): HttpResponseInit {
  switch (result.outcome) {
    case 'done':
      return json(200, {
        serialNumber: result.serialNumber,
        status: result.status,
        changed: result.changed,
        ...(result.entraHolder ? { entraHolder: result.entraHolder } : {}),
        ...(result.detail ? { detail: result.detail } : {}),
      });
    case 'no_token':
      return problem(404, result.detail);
    case 'not_allowed':
      // The token's state has its own member: a problem's `status` is the HTTP status.
      return problem(409, result.detail, { serialNumber: result.serialNumber, tokenStatus: result.status });
    case 'several':
      return problem(409, result.detail, { serialNumbers: result.serialNumbers });
  }
}

