import { HttpRequest, InvocationContext } from '@azure/functions';
import { listTokensHandler } from '../../functions/tokensList';
import { jwtAdminAuthenticator } from '../../shared/adapters/adminAuth';
import type { AppServices } from '../../shared/app/composition';
import { hrEventSchema } from '../../shared/domain/hrEvent';
import { checkRow } from '../../shared/domain/importFile';
import { normaliseSeed } from '../../shared/domain/seed';
import type { AdminAuthenticator, Inventory } from '../../shared/ports';

/**
 * A pattern with a quantifier can backtrack, so it must only ever see text already cut to a bounded
 * length (a 64 KB UPN blocked the event loop for seconds). Quantifier-free patterns (one character
 * class, such as a control-character check) run in one pass and may see any length.
 */
const CAP = 4096;
const HUGE = 64 * 1024;

/** True when the pattern has an unescaped quantifier (read without a regex: this runs inside the spies). */
function quantified(source: string): boolean {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] ?? '';
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if ('+*?{'.includes(c)) return true;
  }
  return false;
}

function longestQuantifiedInput(work: () => unknown): Promise<number> {
  const seen: number[] = [];
  const record = (pattern: RegExp, input: unknown) => {
    if (quantified(pattern.source)) seen.push(String(input).length);
  };
  const { test, exec } = RegExp.prototype;
  const testSpy = jest.spyOn(RegExp.prototype, 'test').mockImplementation(function (this: RegExp, input: string) {
    record(this, input);
    return test.call(this, input);
  });
  const execSpy = jest.spyOn(RegExp.prototype, 'exec').mockImplementation(function (this: RegExp, input: string) {
    record(this, input);
    return exec.call(this, input);
  });
  return Promise.resolve()
    .then(work)
    .finally(() => {
      testSpy.mockRestore();
      execSpy.mockRestore();
    })
    .then(() => Math.max(0, ...seen));
}

describe('every pattern applied to user input runs after a length cap', () => {
  it.each([
    ['userPrincipalName', { userPrincipalName: `a@${'.'.repeat(HUGE)}@` }, 'must be at most 113 characters'],
    ['employeeId', { employeeId: 'E'.repeat(HUGE) }, 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"'],
    ['hireDate', { hireDate: `2026-12-01${'0'.repeat(HUGE)}` }, 'must be an ISO 8601 date (YYYY-MM-DD) or date-time with a time zone'],
    ['location', { location: 'G'.repeat(HUGE) }, 'must be a short site code (1-16 letters, digits, "_" or "-")'],
  ])('HR event %s', async (field, data, message) => {
    let issues: { path: PropertyKey[]; message: string }[] = [];
    const longest = await longestQuantifiedInput(() => {
      issues = hrEventSchema.safeParse({ type: 'employee.hired', data: { employeeId: 'E1001', ...data } }).error?.issues ?? [];
    });
    expect(longest).toBeLessThanOrEqual(CAP);
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([[`data.${field}`, message]]);
  });

  it.each([
    ['upn', { upn: `a@${'.'.repeat(HUGE)}@` }, 'upn is not a user principal name (name@domain, at most 113 characters)'],
    ['serial', { serial: 'S'.repeat(HUGE) }, 'serial number must be 1-64 letters and digits, optionally joined by single hyphens'],
    ['seed', { seed: 'A '.repeat(HUGE) }, 'secret key is too long (at most 128 Base32 characters)'],
    ['manufacturer', { manufacturer: '='.repeat(HUGE) }, 'manufacturer is longer than 64 characters'],
    ['pool', { pool: 'p'.repeat(HUGE) }, 'pool is longer than 64 characters'],
  ])('import row %s', async (_field, raw, reason) => {
    let result: ReturnType<typeof checkRow> | undefined;
    const longest = await longestQuantifiedInput(() => {
      result = checkRow(2, { serial: 'CAP-1', seed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', interval: '30', manufacturer: 'Token2', model: 'C202', ...raw }, new Map());
    });
    expect(longest).toBeLessThanOrEqual(CAP);
    expect(result).toMatchObject({ ok: false, error: { reason } });
  });

  it('a seed', async () => {
    expect(await longestQuantifiedInput(() => normaliseSeed(`${'-'.repeat(HUGE)}x`))).toBeLessThanOrEqual(CAP);
  });

  it.each([['user'], ['pool'], ['pageSize'], ['continuationToken'], ['status']])('GET /api/tokens %s filter', async (name) => {
    const listed: unknown[] = [];
    const app = {
      adminAuth: { authenticate: async () => ({ ok: true, principal: { id: 'oid', name: 'reader', roles: ['Tokens.Read'] } }) } satisfies AdminAuthenticator,
      inventory: { list: async (...args: unknown[]) => (listed.push(args), { tokens: [] }) } as unknown as Inventory,
    } as unknown as AppServices;
    const url = new URL('http://127.0.0.1/api/tokens');
    url.searchParams.set(name, `a@${'.'.repeat(HUGE)}@`);
    let status: number | undefined;
    const longest = await longestQuantifiedInput(async () => {
      status = (await listTokensHandler(() => app)(new HttpRequest({ method: 'GET', url: url.toString() }), new InvocationContext())).status;
    });
    expect(longest).toBeLessThanOrEqual(CAP);
    expect(status).toBe(400);
    expect(listed).toEqual([]);
  });

  it('an Authorization header', async () => {
    // The issuer is never asked: the header is refused by its length first.
    const authenticator = jwtAdminAuthenticator({ issuer: 'https://127.0.0.1:1/never-asked/v2.0', audience: 'api://entra-oath-tokens' });
    let result: Awaited<ReturnType<AdminAuthenticator['authenticate']>> | undefined;
    const longest = await longestQuantifiedInput(async () => {
      result = await authenticator.authenticate(`Bearer ${' '.repeat(HUGE)}x y`, 'Tokens.Read');
    });
    expect(longest).toBeLessThanOrEqual(CAP);
    expect(result).toEqual({ ok: false, status: 401, reason: 'The bearer token is too long' });
  });
});
