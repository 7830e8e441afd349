import { mapWithLimit } from '../../shared/workflows/concurrency';

describe('mapWithLimit', () => {
  it('keeps the order of the results and runs at most `limit` at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapWithLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('after a failure starts nothing more and answers only once the running items are done', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const call = mapWithLimit([0, 1, 2, 3], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('item 0 failed');
      await slow;
      finished.push(n);
      return n;
    });
    let settled = false;
    const outcome = call.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    void outcome.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    expect(await outcome).toBe('item 0 failed');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });
});
