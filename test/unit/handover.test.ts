import { classifyHandover } from '../../shared/domain/drift';
import { matchCode } from '../../shared/domain/handover';
import { generateSeed, totpCode } from '../../shared/domain/seed';
import type { TokenRecord } from '../../shared/domain/token';

const NOW = new Date('2026-12-01T10:00:10Z');
const seed = generateSeed('hmacsha1');
const codeAt = (steps: number, interval: 30 | 60 = 30) => totpCode(seed, interval, 'hmacsha1', new Date(NOW.getTime() + steps * interval * 1000));

describe('matchCode', () => {
  it.each([0, 4, -3, 10, -10])('finds a code from a clock %i steps off and measures that drift', (drift) => {
    const match = matchCode(seed, 30, 'hmacsha1', codeAt(drift), NOW, 10);
    expect(match?.driftSteps).toBe(drift);
    expect(match?.step).toBe(Math.floor(NOW.getTime() / 30_000) + drift);
  });

  it('measures in the token\'s own interval', () => {
    expect(matchCode(seed, 60, 'hmacsha1', codeAt(-2, 60), NOW, 10)?.driftSteps).toBe(-2);
  });

  it('does not find a code outside the window, nor another seed\'s code', () => {
    expect(matchCode(seed, 30, 'hmacsha1', codeAt(11), NOW, 10)).toBeUndefined();
    const other = generateSeed('hmacsha1');
    expect(matchCode(seed, 30, 'hmacsha1', totpCode(other, 30, 'hmacsha1', NOW), NOW, 0)).toBeUndefined();
  });
});

describe('classifyHandover', () => {
  const token = (since: string, status: TokenRecord['status'] = 'awaiting_handover'): TokenRecord => ({
    serialNumber: 'S1',
    manufacturer: 'Token2',
    model: 'C302',
    timeIntervalInSeconds: 30,
    hashFunction: 'hmacsha1',
    seedOrigin: 'vendor',
    pool: 'GVA',
    status,
    seedSecretName: 'seed-S1',
    employeeId: 'E1',
    handover: { site: 'GVA', since },
    createdAt: since,
    updatedAt: since,
    lastChangeReason: 'x',
  });

  it('reports a token waiting longer than the limit, and none that waits less or is no longer waiting', () => {
    expect(classifyHandover(token('2026-11-01T10:00:00Z'), NOW, 14)).toMatchObject({ kind: 'handover_overdue', serialNumber: 'S1', employeeId: 'E1' });
    expect(classifyHandover(token('2026-11-01T10:00:00Z'), NOW, 14)?.repair).toBeUndefined();
    expect(classifyHandover(token('2026-11-25T10:00:00Z'), NOW, 14)).toBeUndefined();
    expect(classifyHandover(token('2026-11-01T10:00:00Z', 'active'), NOW, 14)).toBeUndefined();
  });
});
