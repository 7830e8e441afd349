import { ageingByMonth, unusedByPool } from '../../console/src/lib/usage';

describe("the Overview's unused and ageing charts", () => {
  it('counts the unused tokens of the report per pool of the token', () => {
    const items = [
      { kind: 'unused', serialNumber: 'a-1' },
      { kind: 'unused', serialNumber: 'B-2' },
      { kind: 'seed_missing', serialNumber: 'C-3' },
      { kind: 'unused', serialNumber: 'GONE' },
    ];
    const tokens = [
      { serialNumber: 'A-1', pool: 'GVA' },
      { serialNumber: 'B-2', pool: '' },
      { serialNumber: 'C-3', pool: 'GVA' },
    ];
    expect(unusedByPool(items, tokens)).toEqual([
      { pool: '', unused: 1 },
      { pool: '?', unused: 1 },
      { pool: 'GVA', unused: 1 },
    ]);
  });
  it('adds the pools of the ageing report per month, tokens already past their life first', () => {
    const pools = [
      { pool: 'GVA', pastLife: { inUse: 1, inStock: 2 }, months: [{ month: '2026-12', inUse: 0, inStock: 1 }, { month: '2027-01', inUse: 3, inStock: 0 }] },
      { pool: 'ZRH', pastLife: { inUse: 0, inStock: 1 }, months: [{ month: '2026-12', inUse: 2, inStock: 0 }, { month: '2027-01', inUse: 0, inStock: 0 }] },
    ];
    expect(ageingByMonth(pools)).toEqual([
      { month: 'past life', inUse: 1, inStock: 3 },
      { month: '2026-12', inUse: 2, inStock: 1 },
      { month: '2027-01', inUse: 3, inStock: 0 },
    ]);
  });
});
