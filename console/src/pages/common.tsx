import { Title1, Title2, makeStyles, tokens } from '@fluentui/react-components';
import type { ReactNode } from 'react';
import type { Api } from '../api';

/** Page headings and sections with one look, and reading every page of a listing. */

const useStyles = makeStyles({
  h1: { display: 'block', marginBlockEnd: tokens.spacingVerticalM },
  h2: { display: 'block', marginBlock: `${tokens.spacingVerticalL} ${tokens.spacingVerticalS}` },
  section: { marginBlockEnd: tokens.spacingVerticalL },
  row: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', marginBlockEnd: tokens.spacingVerticalM },
  columns: { display: 'flex', flexWrap: 'wrap', columnGap: tokens.spacingHorizontalXXXL },
  column: { flexGrow: 1, flexShrink: 1, flexBasis: '16rem', maxWidth: '28rem' },
});

export const useLayout = useStyles;

export function PageTitle({ children }: { children: ReactNode }) {
  const styles = useStyles();
  return (
    <Title1 as="h1" className={styles.h1}>
      {children}
    </Title1>
  );
}

export function Section({ title, id, children }: { title: string; id: string; children: ReactNode }) {
  const styles = useStyles();
  return (
    <section aria-labelledby={id} className={styles.section}>
      <Title2 as="h2" id={id} className={styles.h2}>
        {title}
      </Title2>
      {children}
    </section>
  );
}

/** Reads every page of a listing, up to a bound, so the counts cover the inventory. */
export async function allPages<T>(api: Api, first: string, field: string, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let path: string | undefined = first;
  for (let page = 0; path && page < maxPages; page++) {
    const body: Record<string, unknown> = await api.get(path);
    items.push(...((body[field] as T[] | undefined) ?? []));
    const next = body.continuationToken;
    path = typeof next === 'string' && next !== '' ? `${first}&continuationToken=${encodeURIComponent(next)}` : undefined;
  }
  return items;
}
