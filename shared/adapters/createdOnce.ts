/**
 * Creates a table, queue or container on first use and remembers it did, so later calls cost no
 * extra request; a failure is forgotten, so the next call tries again. In Azure, infra/ has created
 * it already and this is a cheap no-op; locally Azurite starts empty.
 */
export function createdOnce(create: () => Promise<unknown>): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= create().then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  };
}
