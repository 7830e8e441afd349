import { useState } from 'react';
import type { Api } from '../api';
import type { Abilities } from '../lib/roles';
import { auditPath, holderOf, tokenSearchPath, type SearchField, type TokenSearch } from '../lib/query';
import { ConfirmButton, ErrorNote, field, formatTime, useLoad } from '../ui';

export interface Token {
  serialNumber: string;
  manufacturer: string;
  model: string;
  pool: string;
  status: string;
  employeeId: string | null;
  userPrincipalName: string | null;
  revocationReason: string | null;
  registeredInEntra: boolean;
  updatedAt: string;
  lastChangeReason: string;
}

const STATUSES = ['importing', 'in_stock', 'reserved', 'assigned', 'awaiting_handover', 'active', 'suspended', 'revoked', 'lost', 'retired', 'quarantined'];
const REASONS = ['lost', 'stolen', 'damaged', 'returned', 'offboarded'];
const HELD = ['reserved', 'assigned', 'awaiting_handover', 'active', 'suspended'];

export function Tokens({ api }: { api: Api }) {
  const [search, setSearch] = useState<TokenSearch>({ field: 'user', text: '', status: '', pool: '', pageSize: 25 });
  // Tokens of earlier pages, to go back.
  const [previous, setPrevious] = useState<(string | undefined)[]>([]);
  const request = tokenSearchPath(search);
  const { data, error, loading } = useLoad(async () => {
    if (request.kind === 'one') {
      const token = await api.find<Token>(request.path);
      return { tokens: token ? [token] : [], next: undefined as string | undefined };
    }
    const page = await api.get<{ tokens: Token[]; continuationToken: string | null }>(request.path);
    return { tokens: page.tokens, next: page.continuationToken ?? undefined };
  }, request.path);

  return (
    <>
      <h1>Tokens</h1>
      <form
        className="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          setPrevious([]);
          setSearch({
            field: form.get('field') as SearchField,
            text: field(form, 'text'),
            status: field(form, 'status'),
            pool: field(form, 'pool'),
            pageSize: search.pageSize,
          });
        }}
      >
        <label>
          Search by
          <select name="field" defaultValue={search.field}>
            <option value="user">UPN or employee id</option>
            <option value="serial">Serial number</option>
          </select>
        </label>
        <label>
          Search text
          <input name="text" type="search" defaultValue={search.text} />
        </label>
        <label>
          Status
          <select name="status" defaultValue={search.status}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Pool
          <input name="pool" defaultValue={search.pool} />
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <ErrorNote error={error} />
      {loading ? <p>Loading...</p> : null}
      {data ? (
        <>
          <table>
            <caption>Tokens found ({data.tokens.length} on this page)</caption>
            <thead>
              <tr>
                <th scope="col">Serial</th>
                <th scope="col">Status</th>
                <th scope="col">Pool</th>
                <th scope="col">Holder</th>
                <th scope="col">Model</th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {data.tokens.map((t) => (
                <tr key={t.serialNumber}>
                  <td>
                    <a href={`#/tokens/${encodeURIComponent(t.serialNumber)}`}>{t.serialNumber}</a>
                  </td>
                  <td>{t.status}</td>
                  <td>{t.pool || '(shared)'}</td>
                  <td>{t.userPrincipalName ?? t.employeeId ?? ''}</td>
                  <td>
                    {t.manufacturer} {t.model}
                  </td>
                  <td>{formatTime(t.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="paging" aria-label="Pages">
            <button type="button" disabled={previous.length === 0} onClick={() => {
              const back = previous.slice(0, -1);
              setSearch({ ...search, ...(previous[previous.length - 1] ? { continuationToken: previous[previous.length - 1] } : { continuationToken: undefined }) });
              setPrevious(back);
            }}>
              Previous page
            </button>
            <button type="button" disabled={!data.next} onClick={() => {
              setPrevious([...previous, search.continuationToken]);
              setSearch({ ...search, continuationToken: data.next });
            }}>
              Next page
            </button>
          </nav>
        </>
      ) : null}
    </>
  );
}

interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  outcome: string;
  detail?: string;
}

/** `version` (the token's updatedAt) loads the history again after an action. */
function History({ api, serial, version }: { api: Api; serial: string; version: string }) {
  const [pages, setPages] = useState<string[]>([]);
  const { data, error, loading } = useLoad(async () => {
    const entries: AuditEntry[] = [];
    let continuationToken: string | undefined;
    let next: string | null = null;
    for (const token of [undefined, ...pages]) {
      continuationToken = token;
      const page: { entries: AuditEntry[]; continuationToken: string | null } = await api.get(auditPath({ serial, ...(continuationToken ? { continuationToken } : {}) }));
      entries.push(...page.entries);
      next = page.continuationToken;
    }
    return { entries, next };
  }, `${serial}:${pages.length}:${version}`);
  return (
    <section aria-labelledby="history">
      <h2 id="history">History</h2>
      <ErrorNote error={error} />
      {loading && !data ? <p>Loading...</p> : null}
      {data ? (
        <>
          <table>
            <caption>What happened to {serial}, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Outcome</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e, i) => (
                <tr key={i}>
                  <td>{formatTime(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td>{e.outcome}</td>
                  <td>{e.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.next ? (
            <button type="button" onClick={() => setPages([...pages, data.next ?? ''])}>
              Older entries
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

export function TokenPage({ api, serial, can }: { api: Api; serial: string; can: Abilities }) {
  const { data, error, loading, reload } = useLoad(() => api.get<Token>(`tokens/${encodeURIComponent(serial)}`), serial);
  const [done, setDone] = useState('');
  // A Temporary Access Pass is shown once, here, and never kept beyond this page.
  const [pass, setPass] = useState<{ temporaryAccessPass: string; lifetimeInMinutes?: number }>();
  // Actions address the person holding the token; a lost or retired token keeps its last holder for the record only.
  const held = data ? HELD.includes(data.status) : false;
  const holder = data && (held || data.status === 'revoked') ? holderOf(data) : undefined;
  const act = async (path: string, body?: unknown) => {
    const result = await api.post<{ serialNumber: string; status: string; changed: boolean }>(path, body);
    setDone(`${result.serialNumber} is now ${result.status}${result.changed ? '' : ' (it already was)'}`);
    reload();
  };
  return (
    <>
      <p>
        <a href="#/tokens">Back to tokens</a>
      </p>
      <h1>Token {serial}</h1>
      <ErrorNote error={error} />
      {loading && !data ? <p>Loading...</p> : null}
      {data ? (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="token-status">{data.status}</dd>
            <dt>{held ? 'Holder' : 'Last holder'}</dt>
            <dd>{data.userPrincipalName ?? data.employeeId ?? 'nobody'}</dd>
            <dt>Pool</dt>
            <dd>{data.pool || '(shared)'}</dd>
            <dt>Model</dt>
            <dd>
              {data.manufacturer} {data.model}
            </dd>
            <dt>Registered in Entra</dt>
            <dd>{data.registeredInEntra ? 'yes' : 'not yet'}</dd>
            <dt>Last change</dt>
            <dd>
              {data.lastChangeReason} ({formatTime(data.updatedAt)})
            </dd>
            {data.revocationReason ? (
              <>
                <dt>Revocation reason</dt>
                <dd>{data.revocationReason}</dd>
              </>
            ) : null}
          </dl>
          {done ? <p role="status">{done}</p> : null}
          {pass ? (
            <p role="status" className="secret">
              Temporary Access Pass for {holder}, shown this once{pass.lifetimeInMinutes ? ` (valid ${pass.lifetimeInMinutes} minutes)` : ''}: <code>{pass.temporaryAccessPass}</code>
            </p>
          ) : null}
          {can.act && holder ? (
            <section aria-labelledby="actions" className="actions">
              <h2 id="actions">Actions</h2>
              <ConfirmButton label="Revoke" title={`Revoke ${serial} from ${holder}`} confirmLabel="Revoke the token" danger onConfirm={(form) => act(`users/${encodeURIComponent(holder)}/token/revoke`, { reason: form.get('reason'), ...(form.get('note') ? { note: form.get('note') } : {}) })}>
                <label>
                  Reason
                  <select name="reason" defaultValue="lost">
                    {REASONS.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </label>
                <label>
                  Note (optional)
                  <input name="note" maxLength={500} />
                </label>
              </ConfirmButton>
              {data.status === 'active' || data.status === 'assigned' ? (
                <ConfirmButton label="Suspend" title={`Suspend ${serial} (leave of absence)`} confirmLabel="Suspend" onConfirm={() => act(`users/${encodeURIComponent(holder)}/token/suspend`)}>
                  <p>The token is deactivated in Entra; {holder} keeps it.</p>
                </ConfirmButton>
              ) : null}
              {held ? (
                <ConfirmButton
                  label="Replace"
                  title={`Replace ${serial} for ${holder}`}
                  confirmLabel="Revoke and replace"
                  danger
                  onConfirm={async (form) => {
                    const answer = await api.post<{ revoked: { serialNumber: string; status: string }; temporaryAccessPass?: { temporaryAccessPass: string; lifetimeInMinutes?: number } }>(`users/${encodeURIComponent(holder)}/token/replace`, {
                      reason: field(form, 'reason'),
                      ...(field(form, 'note') ? { note: field(form, 'note') } : {}),
                      ...(form.get('tap') ? { temporaryAccessPass: true } : {}),
                    });
                    setPass(answer.temporaryAccessPass);
                    setDone(`${answer.revoked.serialNumber} is now ${answer.revoked.status}; a replacement is queued for ${holder}`);
                    reload();
                  }}
                >
                  <label>
                    Reason
                    <select name="reason" defaultValue="lost">
                      {['lost', 'stolen', 'damaged'].map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </label>
                  <label>
                    Note (optional)
                    <input name="note" maxLength={500} />
                  </label>
                  <label className="inline">
                    <input type="checkbox" name="tap" value="yes" /> Issue a Temporary Access Pass to sign in meanwhile
                  </label>
                </ConfirmButton>
              ) : null}
              {data.status === 'awaiting_handover' ? (
                <ConfirmButton
                  label="Hand over"
                  title={`Hand ${serial} over to ${holder}`}
                  confirmLabel="Activate"
                  onConfirm={async (form) => {
                    const answer = await api.post<{ serialNumber: string; status: string; driftSteps: number }>(`tokens/${encodeURIComponent(serial)}/handover`, { code: field(form, 'code') });
                    setDone(`${answer.serialNumber} is now ${answer.status} (drift ${answer.driftSteps} steps)`);
                    reload();
                  }}
                >
                  <label>
                    The code the token shows now
                    <input name="code" inputMode="numeric" pattern="[0-9]{6}" autoComplete="off" required />
                  </label>
                </ConfirmButton>
              ) : null}
              {data.status === 'suspended' ? (
                <ConfirmButton label="Resume" title={`Resume ${serial}`} confirmLabel="Resume" onConfirm={() => act(`users/${encodeURIComponent(holder)}/token/resume`)}>
                  <p>The token is activated again with a fresh code.</p>
                </ConfirmButton>
              ) : null}
            </section>
          ) : null}
          <History api={api} serial={data.serialNumber} version={data.updatedAt} />
        </>
      ) : null}
    </>
  );
}
