import { TableClient } from '@azure/data-tables';
import { tableSlots } from '../../../shared/adapters/tableSlots';
import { REPLACE_CLAIM_SECONDS } from '../../../shared/workflows/replaceToken';
import { startAzurite, type Azurite } from '../../support/azurite';

/** The replacement's claim on a person as the Table adapter keeps it (Azurite), on a clock the test moves. */
describe('replace claims in Table storage (Azurite)', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  const HOLD_MS = REPLACE_CLAIM_SECONDS * 1000;
  const claimsOn = (clock: { now: () => Date }) =>
    tableSlots(TableClient.fromConnectionString(azurite.connectionString, 'replaceClaimsTest', { allowInsecureConnection: true }), clock, { limit: 1, holdMs: HOLD_MS });

  it('one holder per person at a time, across instances; a crashed holder\'s claim lapses, and it cannot take it back once another has it', async () => {
    let now = Date.UTC(2026, 11, 7, 10);
    const clock = { now: () => new Date(now) };
    const [a, b] = [claimsOn(clock), claimsOn(clock)];
    const both = await Promise.all([a.claim('u-dan'), b.claim('u-dan')]);
    expect(both.filter((c) => c.ok)).toHaveLength(1);
    const first = both.find((c) => c.ok)!;
    if (!first.ok) throw new Error('unreachable');
    // Another person is not held back.
    expect(await b.claim('u-eve')).toMatchObject({ ok: true });

    // Still held just before it lapses (its holder crashed); free once it has.
    now += HOLD_MS - 1000;
    expect(await b.claim('u-dan')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1000;
    const second = await b.claim('u-dan');
    expect(second.ok).toBe(true);
    // The first holder, back from the dead, is no longer the holder: it cannot renew, and its release leaves the new claim alone.
    expect(await first.slot.holdAgain()).toBe(false);
    await first.slot.release();
    expect(await a.claim('u-dan')).toMatchObject({ ok: false });

    // The holder renews for its whole time from now, then gives it back: free at once.
    if (!second.ok) throw new Error('unreachable');
    now += 60_000;
    expect(await second.slot.holdAgain()).toBe(true);
    expect(await a.claim('u-dan')).toEqual({ ok: false, retryAfterSeconds: REPLACE_CLAIM_SECONDS });
    await second.slot.release();
    expect(await a.claim('u-dan')).toMatchObject({ ok: true });
  });
});
