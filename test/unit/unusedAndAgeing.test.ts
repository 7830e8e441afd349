import { ConfigError, parseConfig, serviceLivesOf } from '../../shared/app/config';
import { addMonths, ageingTally, endOfLife, pastLife } from '../../shared/domain/ageing';
import { csvCell, csvLine } from '../../shared/domain/csv';
import { classifyUsage, type DeviceFacts } from '../../shared/domain/drift';
import { describeNotification } from '../../shared/domain/notification';
import type { TokenRecord } from '../../shared/domain/token';

const valid = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  KEY_VAULT_URL: 'https://my-vault.vault.azure.net/',
  HR_WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  ADMIN_AUTH_ISSUER: 'https://login.microsoftonline.com/contoso/v2.0',
  ADMIN_AUTH_AUDIENCE: 'api://entra-oath-tokens',
};

const NOW = new Date('2026-12-07T10:00:00Z');
const DAY = 24 * 3600_000;
const token = (changes: Partial<TokenRecord> = {}): TokenRecord => ({
  serialNumber: 'U-1',
  manufacturer: 'Token2',
  model: 'C202',
  timeIntervalInSeconds: 30,
  hashFunction: 'hmacsha1',
  seedOrigin: 'vendor',
  pool: 'GVA',
  status: 'active',
  seedSecretName: 'seed-U-1',
  entraDeviceId: 'dev-1',
  employeeId: 'E1',
  entraUserId: 'user-1',
  userPrincipalName: 'ada@contoso.com',
  activatedAt: new Date(NOW.getTime() - 100 * DAY).toISOString(),
  createdAt: '2024-01-10T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
  lastChangeReason: 'test',
  ...changes,
});
const device = (lastUsedDateTime?: string | null): DeviceFacts => ({ id: 'dev-1', serialNumber: 'U-1', status: 'activated', assignedTo: { id: 'user-1' }, ...(lastUsedDateTime === undefined ? {} : { lastUsedDateTime }) });
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

describe('unused tokens (classifyUsage)', () => {
  it('a token last used more than N days ago, or never since an activation more than N days ago, is unused', () => {
    expect(classifyUsage(device(ago(91)), token(), NOW, 90)).toMatchObject({ kind: 'unused', serialNumber: 'U-1', employeeId: 'E1' });
    expect(classifyUsage(device(null), token(), NOW, 90)?.detail).toContain('never used');
  });
  it('not when used lately, activated (again) lately, not shown by Entra, not active, or held by someone else', () => {
    expect(classifyUsage(device(ago(10)), token(), NOW, 90)).toBeUndefined();
    expect(classifyUsage(device(ago(200)), token({ activatedAt: ago(30) }), NOW, 90)).toBeUndefined();
    expect(classifyUsage(device(null), token({ activatedAt: ago(30) }), NOW, 90)).toBeUndefined();
    expect(classifyUsage(device(undefined), token(), NOW, 90)).toBeUndefined();
    expect(classifyUsage(device(null), token({ status: 'suspended' }), NOW, 90)).toBeUndefined();
    expect(classifyUsage({ ...device(null), assignedTo: { id: 'someone-else' } }, token(), NOW, 90)).toBeUndefined();
  });
  it('a row without activatedAt is judged from its last change', () => {
    const { activatedAt: _activated, ...older } = token();
    expect(classifyUsage(device(null), { ...older, updatedAt: ago(100) }, NOW, 90)).toBeDefined();
    expect(classifyUsage(device(null), { ...older, updatedAt: ago(5) }, NOW, 90)).toBeUndefined();
  });
  it("the notification tells the manager how to take it back, without any secret", () => {
    const text = describeNotification({ kind: 'token_unused', key: 'k', serialNumber: 'U-1', entraUserId: 'user-1', userPrincipalName: 'ada@contoso.com', lastUsed: 'never', days: 90 });
    expect(text.subject).toBe('Hardware token U-1 of ada@contoso.com has not been used for more than 90 days');
    expect(text.lines.join(' ')).toContain('--reason unused');
  });
});

describe('settings', () => {
  it('UNUSED_TOKEN_DAYS and TOKEN_SERVICE_LIFE_MONTHS default to 90 days and 60 months; per model as JSON or model=months', () => {
    expect(parseConfig(valid)).toMatchObject({ unused: { days: 90, notify: false }, serviceLife: { months: 60, byModel: {} } });
    expect(parseConfig({ ...valid, TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: '{"C100":12,"OTP c300":72}' }).serviceLife.byModel).toEqual({ c100: 12, 'otp c300': 72 });
    expect(serviceLivesOf('C100=12, OTP c300=72')).toEqual({ c100: 12, 'otp c300': 72 });
  });
  it.each([
    [{ UNUSED_TOKEN_DAYS: '0' }, 'UNUSED_TOKEN_DAYS'],
    [{ UNUSED_TOKEN_NOTIFY: 'yes' }, 'UNUSED_TOKEN_NOTIFY: must be true or false'],
    [{ TOKEN_SERVICE_LIFE_MONTHS: 'five years' }, 'TOKEN_SERVICE_LIFE_MONTHS: must be a whole number'],
    [{ TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: 'C100' }, 'TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: the months of model C100 must be a whole number from 1 to 600'],
    [{ TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: '{"C100":"12"}' }, 'TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: the months of model C100'],
    [{ TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: '{C100:12' }, 'TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: must be JSON'],
  ])('%j stops start-up with one line naming it', (settings, message) => {
    let error: unknown;
    try {
      parseConfig({ ...valid, ...settings });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`Setting ${message}`);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('ageing', () => {
  const life = { months: 60, byModel: { c100: 12 } };
  it('adds calendar months, keeping the day or the last one of a shorter month', () => {
    expect(addMonths(new Date('2026-01-31T08:00:00Z'), 1).toISOString()).toBe('2026-02-28T08:00:00.000Z');
    expect(addMonths(new Date('2021-12-07T10:00:00Z'), 60).toISOString()).toBe('2026-12-07T10:00:00.000Z');
  });
  it('ends a token its model\'s months after it arrived', () => {
    expect(endOfLife(token({ model: 'c100', createdAt: '2026-01-15T00:00:00Z' }), life).toISOString()).toBe('2027-01-15T00:00:00.000Z');
    expect(pastLife(token({ createdAt: '2021-12-01T00:00:00Z' }), NOW, life)).toBe(true);
    expect(pastLife(token({ createdAt: '2021-12-31T00:00:00Z' }), NOW, life)).toBe(false);
  });
  it('counts per pool and month, in use and in stock; gone, revoked and importing tokens are not counted', () => {
    const tally = ageingTally(NOW, 3, life);
    tally.add(token({ createdAt: '2022-01-20T00:00:00Z' }));
    tally.add(token({ status: 'in_stock', createdAt: '2022-02-03T00:00:00Z' }));
    tally.add(token({ status: 'in_stock', createdAt: '2020-01-01T00:00:00Z' }));
    tally.add(token({ status: 'in_stock', createdAt: '2026-12-01T00:00:00Z' }));
    tally.add(token({ status: 'lost', createdAt: '2022-01-20T00:00:00Z' }));
    tally.add(token({ status: 'revoked', createdAt: '2022-01-20T00:00:00Z' }));
    tally.add(token({ status: 'importing', entraDeviceId: undefined, createdAt: '2022-01-20T00:00:00Z' }));
    const [gva] = tally.report().pools;
    expect(gva).toEqual({
      pool: 'GVA',
      total: { inUse: 1, inStock: 3 },
      pastLife: { inUse: 0, inStock: 1 },
      months: [
        { month: '2026-12', inUse: 0, inStock: 0 },
        { month: '2027-01', inUse: 1, inStock: 0 },
        { month: '2027-02', inUse: 0, inStock: 1 },
      ],
      inStockAfterHorizon: 1,
    });
  });
});

describe('CSV cells', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['+CMD', "'+CMD"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=HYPERLINK("x","y")', `"'=HYPERLINK(""x"",""y"")"`],
    ['line\nbreak', '"line\nbreak"'],
    ['plain', 'plain'],
  ])('%j is written %j', (value, written) => {
    expect(csvCell(value)).toBe(written);
  });
  it('numbers (a negative drift too) and booleans are values, not formulas; absent is empty', () => {
    expect(csvLine([-2, true, null, undefined, 'x'])).toBe('-2,true,,,x\r\n');
  });
});
