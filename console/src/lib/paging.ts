/** A page of a list as the console's one table shows it: the page asked for, clamped to the ones there are. */
export function pageOf<T>(items: readonly T[], page: number, pageSize: number): { shown: T[]; current: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const current = Math.min(Math.max(0, page), pages - 1);
  return { shown: items.slice(current * pageSize, (current + 1) * pageSize), current, pages };
}
