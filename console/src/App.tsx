import { useEffect, useMemo, useState } from 'react';
import { createApi } from './api';
import type { ConsoleConfig, Session } from './auth';
import { abilitiesOf, rolesOf } from './lib/roles';
import { Imports } from './pages/Imports';
import { Overview } from './pages/Overview';
import { People } from './pages/People';
import { Reconciliation } from './pages/Reconciliation';
import { TokenPage, Tokens } from './pages/Tokens';

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

const PAGES = [
  { path: '', label: 'Overview', admin: false },
  { path: 'tokens', label: 'Tokens', admin: false },
  { path: 'people', label: 'People', admin: false },
  { path: 'imports', label: 'Imports', admin: true },
  { path: 'reconciliation', label: 'Reconciliation', admin: false },
];

export function App({ session, config }: { session: Session; config: ConsoleConfig }) {
  const route = useRoute();
  const api = useMemo(() => createApi(() => session.token()), [session]);
  const account = session.account;
  useEffect(() => {
    const page = PAGES.find((p) => p.path === (route[0] ?? ''));
    document.title = `${page?.label ?? 'Not found'} - Hardware tokens`;
  }, [route]);
  if (!account) {
    return (
      <main id="main" className="signin">
        <h1>Hardware tokens admin console</h1>
        <p>Sign in with your organisation account. Readers (Tokens.Read) see everything; administrators (Tokens.Admin) can act.</p>
        <button type="button" className="primary" onClick={() => void session.signIn()}>
          Sign in
        </button>
      </main>
    );
  }
  const roles = rolesOf(account.idTokenClaims);
  const can = abilitiesOf(roles);
  const [page = '', detail] = route;
  let content;
  if (!can.read) content = <p role="alert">Your account has neither Tokens.Read nor Tokens.Admin on this app: ask an administrator for a role.</p>;
  else if (page === '') content = <Overview api={api} threshold={config.lowStockThreshold} />;
  else if (page === 'tokens' && detail) content = <TokenPage api={api} serial={detail} can={can} />;
  else if (page === 'tokens') content = <Tokens api={api} />;
  else if (page === 'people') content = <People api={api} can={can} />;
  else if (page === 'imports' && can.act) content = <Imports api={api} />;
  else if (page === 'reconciliation') content = <Reconciliation api={api} can={can} />;
  else content = <p>There is no such page.</p>;
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header>
        <span className="brand">Hardware tokens</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.filter((p) => can.act || !p.admin).map((p) => (
              <li key={p.path}>
                <a href={`#/${p.path}`} aria-current={p.path === page ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          {account.name ?? account.username} <span className="muted">({roles.join(', ') || 'no role'})</span>
        </span>
        <button type="button" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {content}
      </main>
    </>
  );
}
