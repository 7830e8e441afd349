import { Button, Caption1, Link, Text, Title1, makeStyles, tokens } from '@fluentui/react-components';
import { useEffect, useMemo, useState } from 'react';
import { createApi } from './api';
import type { ConsoleConfig, Session } from './auth';
import { abilitiesOf, landingPage, pagesFor, refusedPage, rolesOf } from './lib/roles';
import { Desk } from './pages/Desk';
import { Imports } from './pages/Imports';
import { Overview } from './pages/Overview';
import { People } from './pages/People';
import { Reconciliation } from './pages/Reconciliation';
import { TokenPage, Tokens } from './pages/Tokens';
import { ErrorNote, Notice } from './ui';

/** Hash routes (#/tokens/SERIAL), so every page is the one index.html and the server knows no client paths. */
function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter((s) => s !== '').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

const useStyles = makeStyles({
  header: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    columnGap: tokens.spacingHorizontalXL,
    rowGap: tokens.spacingVerticalS,
    paddingBlock: tokens.spacingVerticalS,
    paddingInline: tokens.spacingHorizontalXL,
    backgroundColor: tokens.colorNeutralBackground3,
    borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke1}`,
  },
  brand: { fontWeight: tokens.fontWeightBold, fontSize: tokens.fontSizeBase400 },
  nav: { display: 'flex', gap: tokens.spacingHorizontalL, listStyleType: 'none', margin: 0, padding: 0 },
  current: { fontWeight: tokens.fontWeightBold, textDecorationLine: 'underline', textDecorationThickness: '2px', textUnderlineOffset: '4px' },
  who: { marginInlineStart: 'auto', display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalS },
  main: { paddingBlock: tokens.spacingVerticalL, paddingInline: tokens.spacingHorizontalXXL, maxWidth: '90rem', ':focus': { outlineStyle: 'none' } },
  signin: { maxWidth: '40rem', padding: tokens.spacingHorizontalXXL, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, alignItems: 'flex-start' },
  skip: { position: 'absolute', left: '-999px', ':focus': { left: tokens.spacingHorizontalS, top: tokens.spacingVerticalS, zIndex: 10, backgroundColor: tokens.colorNeutralBackground1, padding: tokens.spacingHorizontalS } },
});

function SignIn({ session }: { session: Session }) {
  const styles = useStyles();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" className={styles.signin}>
      <Title1 as="h1">Hardware tokens admin console</Title1>
      <Text>Sign in with your organisation account. Readers (Tokens.Read) see everything, the desk (Tokens.Desk) hands tokens over, administrators (Tokens.Admin) act.</Text>
      <Button
        appearance="primary"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          session.signIn().then(
            () => setBusy(false),
            (e: unknown) => {
              setBusy(false);
              setError(e);
            },
          );
        }}
      >
        Sign in
      </Button>
      <ErrorNote error={error} />
    </main>
  );
}

export function App({ session, config }: { session: Session; config: ConsoleConfig }) {
  const styles = useStyles();
  const route = useRoute();
  const api = useMemo(() => createApi(() => session.token()), [session]);
  const account = session.account;
  const roles = rolesOf(account?.idTokenClaims);
  const can = abilitiesOf(roles);
  const pages = pagesFor(can);
  const [wanted = '', detail] = route;
  const page = landingPage(can, wanted);
  useEffect(() => {
    const entry = pages.find((p) => p.path === page);
    document.title = `${entry?.label ?? 'Hardware tokens'} - Hardware tokens`;
  }, [page, pages]);
  const [signOutError, setSignOutError] = useState<unknown>();
  if (!account) return <SignIn session={session} />;
  let content;
  if (page === undefined) content = <ErrorNote error={`Your account (${account.username}) has none of Tokens.Read, Tokens.Desk or Tokens.Admin on this app: ask an administrator for a role.`} />;
  else if (page === '') content = <Overview api={api} threshold={config.lowStockThreshold} />;
  else if (page === 'tokens' && detail) content = <TokenPage api={api} serial={detail} can={can} />;
  else if (page === 'tokens') content = <Tokens api={api} />;
  else if (page === 'people') content = <People api={api} can={can} />;
  else if (page === 'desk') content = <Desk api={api} can={can} />;
  else if (page === 'imports') content = <Imports api={api} />;
  else content = <Reconciliation api={api} can={can} me={{ oid: account.localAccountId, ...(account.name ? { name: account.name } : {}) }} />;
  return (
    <>
      <a className={styles.skip} href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header className={styles.header}>
        <span className={styles.brand}>Hardware tokens</span>
        <nav aria-label="Pages">
          <ul className={styles.nav}>
            {pages.map((p) => (
              <li key={p.path}>
                <Link href={`#/${p.path}`} aria-current={p.path === page ? 'page' : undefined} className={p.path === page ? styles.current : undefined}>
                  {p.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className={styles.who}>
          <Text>{account.name ?? account.username}</Text>
          <Caption1>({roles.join(', ') || 'no role'})</Caption1>
          <Button size="small" onClick={() => void session.signOut().catch(setSignOutError)}>
            Sign out
          </Button>
        </span>
      </header>
      <main id="main" tabIndex={-1} className={styles.main}>
        <ErrorNote error={signOutError} />
        {page !== undefined && refusedPage(can, wanted) ? <Notice intent="warning">{refusedPage(can, wanted)}</Notice> : null}
        {content}
      </main>
    </>
  );
}
