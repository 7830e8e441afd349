import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { generateSeed } from '../../shared/domain/seed';
import { signWebhook } from '../../shared/domain/webhookSignature';
import { poisonQueueOf, QUEUES } from '../../shared/app/storageNames';
import type { TestApp } from './app';

/** Fast queue retries (no visibility backoff, 200 ms polling) so redeliveries happen within a test. */
export const JOINER_HOST_JSON = path.resolve(__dirname, '../fixtures/joiner-host.json');

export interface HireData {
  employeeId: string;
  userPrincipalName?: string;
  displayName?: string;
  hireDate?: string;
  terminationDate?: string;
  location?: string;
}

/** Signs `body` as the HR system would and posts it to the webhook. */
export async function postSigned(
  app: TestApp,
  body: string,
  options: { eventId?: string; secret?: string; timestamp?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  const eventId = options.eventId ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(`${app.api}/hr/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(options.secret ?? app.stack.hrWebhookSecret, eventId, timestamp, body),
      ...options.headers,
    },
    body,
  });
}

export function sendEvent(app: TestApp, type: 'employee.hired' | 'employee.terminated' | 'employee.updated', data: HireData, eventId?: string): Promise<Response> {
  return postSigned(app, JSON.stringify({ type, data }), eventId ? { eventId } : {});
}

export const sendHire = (app: TestApp, data: HireData, eventId?: string) => sendEvent(app, 'employee.hired', data, eventId);

/** Imports tokens with fresh seeds through the admin API; answers the seeds (for leak checks). */
export async function importTokens(app: TestApp, tokens: { serial: string; pool?: string }[]): Promise<string[]> {
  const seeds = tokens.map(() => generateSeed('hmacsha1'));
  const csv = ['upn,serial number,secret key,time interval,manufacturer,model,pool', ...tokens.map((t, i) => `,${t.serial},${seeds[i]},30,Token2,C302,${t.pool ?? ''}`)].join('\n');
  const response = await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv' });
  const summary = (await response.json()) as { imported: number; errors: unknown[] };
  if (response.status !== 200 || summary.imported !== tokens.length) throw new Error(`import failed: ${response.status} ${JSON.stringify(summary)}`);
  return seeds;
}

export interface ProvisioningAnswer {
  employeeId: string;
  joiner: { status: string; reason: string | null; serialNumber: string | null; attempts: number; eventIds: string[]; step: string | null; note: string | null } | null;
  leaver: { status: string; terminationDate: string | null } | null;
}

export async function provisioningOf(app: TestApp, employeeId: string): Promise<ProvisioningAnswer | undefined> {
  const response = await app.call('GET', `provisioning/${employeeId}`, { roles: ['Tokens.Read'] });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`GET provisioning/${employeeId} answered ${response.status}`);
  return (await response.json()) as ProvisioningAnswer;
}

export interface TokenAnswer {
  serialNumber: string;
  status: string;
  employeeId: string | null;
  entraUserId: string | null;
  userPrincipalName: string | null;
  pool: string;
}

export async function allTokens(app: TestApp): Promise<TokenAnswer[]> {
  const response = await app.call('GET', 'tokens?pageSize=1000', { roles: ['Tokens.Read'] });
  return ((await response.json()) as { tokens: TokenAnswer[] }).tokens;
}

/**
 * Re-checks until `check` answers something other than undefined. Bounded so that a hang fails with
 * what it was waiting for; nothing here measures or asserts time.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, bound = { tries: 600, pauseMs: 100 }): Promise<T> {
  for (let tries = 0; tries < bound.tries; tries++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, bound.pauseMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Waits until the employee's joiner record reaches one of `statuses`. */
export function joinerReaches(app: TestApp, employeeId: string, statuses: string[]): Promise<NonNullable<ProvisioningAnswer['joiner']>> {
  return eventually(`the joiner of ${employeeId} to reach ${statuses.join(' or ')}`, async () => {
    const joiner = (await provisioningOf(app, employeeId))?.joiner;
    return joiner && statuses.includes(joiner.status) ? joiner : undefined;
  });
}

export const hrQueue = (app: TestApp) => new QueueClient(app.stack.azurite.connectionString, QUEUES.hrEvents);
export const hrPoisonQueue = (app: TestApp) => new QueueClient(app.stack.azurite.connectionString, poisonQueueOf(QUEUES.hrEvents));

/** Puts a message on hr-events exactly as the webhook does (base64 JSON). */
export async function enqueue(app: TestApp, message: unknown): Promise<void> {
  await hrQueue(app).sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
}

export const seedsIn = (text: string, seeds: string[]): string[] => seeds.filter((seed) => text.includes(seed));
