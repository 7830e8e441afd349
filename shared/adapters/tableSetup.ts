import type { TableClient } from '@azure/data-tables';

/**
 * Creates the table on first use and remembers it did, so each adapter call costs no extra request.
 * In Azure, infra/ has created it already and this is a cheap no-op; locally Azurite starts empty.
 */
export function tableCreatedOnce(table: TableClient): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= table.createTable().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
}
