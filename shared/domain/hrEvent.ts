import { z } from 'zod';
import { userPrincipalNameProblem } from './text';

/**
 * The HR webhook's event model (DESIGN section 6) and the message the webhook hands the worker
 * through the `hr-events` queue. Pure: validation and the timing rules of the joiner saga.
 */

export const HR_EVENT_TYPES = ['employee.hired', 'employee.terminated', 'employee.updated'] as const;
export type HrEventType = (typeof HR_EVENT_TYPES)[number];

/** Employee ids are a Table partition key and part of log lines, so they keep to a safe alphabet. */
export const EMPLOYEE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const EMPLOYEE_ID_RULE = 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"';
/** Entra object ids are GUIDs; kept to that alphabet, since they go into Graph paths and Table filters. */
export const ENTRA_OBJECT_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
/** Standard Webhooks ids (msg_...) or UUIDs; also the dedupe table's partition key. */
export const WEBHOOK_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Longer than any ISO 8601 date-time this accepts (35 characters with nanoseconds and an offset). */
const MAX_DATE_LENGTH = 40;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A calendar date (2026-12-01) or a date-time with a zone; the calendar part must exist. */
function isIsoDate(text: string): boolean {
  if (text.length > MAX_DATE_LENGTH) return false;
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [, year, month, day] = match;
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return calendar.getUTCMonth() === Number(month) - 1 && calendar.getUTCDate() === Number(day) && !Number.isNaN(Date.parse(text));
}

const isoDate = z.string().trim().refine(isIsoDate, 'must be an ISO 8601 date (YYYY-MM-DD) or date-time with a time zone');

/**
 * An optional field an HR system may send empty: `""`, blanks or null mean "not given" (HR exports
 * fill every column), so the event is read as if the field were absent, never refused for it.
 */
const optionalField = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value), schema.optional());

export const hrEventSchema = z
  .object({
    type: z.enum(HR_EVENT_TYPES, { error: `must be one of ${HR_EVENT_TYPES.join(', ')}` }),
    data: z.object(
      {
        employeeId: z
          .string({ error: 'is required' })
          .trim()
          .max(64, { error: EMPLOYEE_ID_RULE, abort: true })
          .regex(EMPLOYEE_ID_PATTERN, EMPLOYEE_ID_RULE),
        userPrincipalName: optionalField(
          z
            .string()
            .trim()
            .superRefine((upn, context) => {
              const problem = userPrincipalNameProblem(upn);
              if (problem) context.addIssue({ code: 'custom', message: problem });
            }),
        ),
        displayName: optionalField(z.string().trim().max(256, 'must be at most 256 characters')),
        hireDate: optionalField(isoDate),
        terminationDate: optionalField(isoDate),
        location: optionalField(
          z
            .string()
            .trim()
            .max(16, { error: 'must be a short site code (1-16 letters, digits, "_" or "-")', abort: true })
            .regex(/^[A-Za-z0-9_-]{1,16}$/, 'must be a short site code (1-16 letters, digits, "_" or "-")'),
        ),
      },
      { error: 'is required' },
    ),
  })
  .superRefine((event, context) => {
    if (event.type === 'employee.terminated' && !event.data.terminationDate) {
      context.addIssue({ code: 'custom', path: ['data', 'terminationDate'], message: 'is required for employee.terminated' });
    }
  });

export type HrEvent = z.infer<typeof hrEventSchema>;

/** What goes on the `hr-events` queue: the event's facts, never a seed. */
export const hrQueueMessageSchema = z.object({
  eventId: z.string().regex(WEBHOOK_ID_PATTERN),
  type: z.enum(HR_EVENT_TYPES),
  employeeId: z.string().regex(EMPLOYEE_ID_PATTERN),
  userPrincipalName: z.string().optional(),
  /** The Entra object id of the person, where the source names one (directory sync, Lifecycle Workflows): a leaver starts from it. */
  entraUserId: z.string().regex(ENTRA_OBJECT_ID_PATTERN).optional(),
  displayName: z.string().optional(),
  hireDate: z.string().optional(),
  location: z.string().optional(),
  terminationDate: z.string().optional(),
  /** How many times this hire was put back to wait for its Entra account, or this leaver's revocation failed. */
  attempt: z.number().int().min(0).optional(),
  /** When the hire started waiting for its Entra account: the wait's deadline counts from here. */
  waitingSince: z.string().optional(),
  firstSeenAt: z.string(),
  /**
   * A Tokens.PrivilegedAdmin's own replacement: this one Entra account may receive the token although it
   * holds a role. Only the app writes this queue, and no webhook or vendor event is mapped to it.
   */
  privilegedApproval: z.object({ entraUserId: z.string(), approvedBy: z.string() }).optional(),
  /** A Lifecycle Workflows custom task waits for this event's outcome (resumed when it settles). */
  lifecycleTask: z
    .object({ workflowId: z.string(), taskId: z.string(), taskProcessingResultId: z.string(), source: z.string().optional(), type: z.string().optional() })
    .optional(),
});

export type HrQueueMessage = z.infer<typeof hrQueueMessageSchema>;

export function queueMessageOf(eventId: string, event: HrEvent): Omit<HrQueueMessage, 'firstSeenAt'> {
  const { data } = event;
  return {
    eventId,
    type: event.type,
    employeeId: data.employeeId,
    ...(data.userPrincipalName ? { userPrincipalName: data.userPrincipalName } : {}),
    ...(data.displayName ? { displayName: data.displayName } : {}),
    ...(data.hireDate ? { hireDate: data.hireDate } : {}),
    ...(data.location ? { location: data.location } : {}),
    ...(data.terminationDate ? { terminationDate: data.terminationDate } : {}),
  };
}

const DAY_MS = 24 * 3600_000;
/** A Storage queue message can stay invisible for at most 7 days. */
export const MAX_QUEUE_DELAY_SECONDS = 7 * 24 * 3600;

/** A date-only value is the start of that day in UTC. */
export const instantOf = (date: string): Date => new Date(/T/.test(date) ? date : `${date}T00:00:00Z`);

/** When provisioning for a hire may start: PROVISION_LEAD_DAYS before the hire date. */
export function provisioningDueAt(hireDate: string | undefined, leadDays: number): Date | undefined {
  return hireDate === undefined ? undefined : new Date(instantOf(hireDate).getTime() - leadDays * DAY_MS);
}

/** How long to put a hire back that is not due yet: until it is due, at most the queue's 7 days. */
export function deferralSeconds(dueAt: Date, now: Date): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil((dueAt.getTime() - now.getTime()) / 1000)));
}

const FIRST_USER_WAIT_SECONDS = 60;
const MAX_USER_WAIT_SECONDS = 3600;

/** Growing waits for an Entra account that does not exist yet: 60 s doubling, at most 1 h, never past the deadline. */
export function userWaitSeconds(attempt: number, now: Date, deadline: Date): number {
  const growing = Math.min(MAX_USER_WAIT_SECONDS, FIRST_USER_WAIT_SECONDS * 2 ** Math.min(attempt, 16));
  const untilDeadline = Math.ceil((deadline.getTime() - now.getTime()) / 1000);
  return Math.max(1, Math.min(growing, untilDeadline));
}

const FIRST_LEAVER_RETRY_SECONDS = 30;
/** A leaver's access is never left for longer than this between two tries to take it away. */
export const MAX_LEAVER_RETRY_SECONDS = 15 * 60;

/** Growing waits after a failed revocation: 30 s doubling, at most 15 min; never a give-up. */
export function leaverRetrySeconds(failedTries: number): number {
  return Math.min(MAX_LEAVER_RETRY_SECONDS, FIRST_LEAVER_RETRY_SECONDS * 2 ** Math.min(Math.max(failedTries - 1, 0), 16));
}
