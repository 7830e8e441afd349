import { Button, Checkbox, Field, Input, Link, Radio, RadioGroup, Select, Text, makeStyles, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import type { Api } from '../api';
import { actorLabel, formatTime, isDestructiveReason, personLabel, REVOKE_REASONS, TOKEN_STATUS_CODES, tokenStatusLabel } from '../lib/labels';
import { auditPath, holderOf, tokenSearchPath, type SearchField, type TokenSearch } from '../lib/query';
import type { Abilities } from '../lib/roles';
import { AnyOf, ConfirmButton, DataTable, ErrorNote, field, Loading, Notice, StatusBadge, useLoad, WithIds } from '../ui';
import { PageTitle, Section, useLayout } from './common';

export interface Token {
  serialNumber: string;
  manufacturer: string;
  model: string;
  pool: string;
  status: string;
  employeeId: string | null;
  userPrincipalName: string | null;
  displayName?: string | null;
  entraUserId?: string | null;
  entraDeviceId?: string | null;
  revocationReason: string | null;
  registeredInEntra: boolean;
  updatedAt: string;
  lastChangeReason: string;
}

const HELD = ['reserved', 'assigned', 'awaiting_handover', 'active', 'suspended'];

const useStyles = makeStyles({
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, alignItems: 'center', marginBlockEnd: tokens.spacingVerticalL },
  dt: { fontWeight: tokens.fontWeightSemibold },
  dd: { margin: 0 },
  actions: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalS },
  secret: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase500 },
});

/** The holder as a person, ids one click away. */
export function Holder({ token }: { token: { displayName?: string | null; userPrincipalName: string | null; employeeId: string | null; entraUserId?: string | null } }) {
  if (!token.userPrincipalName && !token.employeeId) return <>nobody</>;
  return (
    <WithIds
      label={personLabel(token)}
      ids={[
        { name: 'UPN', value: token.userPrincipalName },
        { name: 'Employee id', value: token.employeeId },
        { name: 'Entra object id', value: token.entraUserId },
      ]}
    />
  );
}

export function Tokens({ api }: { api: Api }) {
  const layout = useLayout();
  const [search, setSearch] = useState<TokenSearch>({ field: 'user', text: '', status: '', pool: '', pageSize: 100 });
  const request = tokenSearchPath(search);
  const [extra, setExtra] = useState<{ key: string; tokens: Token[]; next: string | undefined }>();
  const [moreError, setMoreError] = useState<unknown>();
  const [loadingMore, setLoadingMore] = useState(false);
  const { data, error, loading } = useLoad(async () => {
    if (request.kind === 'one') {
      const token = await api.find<Token>(request.path);
      return { tokens: token ? [token] : [], next: undefined as string | undefined };
    }
    const page = await api.get<{ tokens: Token[]; continuationToken: string | null }>(request.path);
    return { tokens: page.tokens, next: page.continuationToken ?? undefined };
  }, request.path);
  const more = extra?.key === request.path ? extra : undefined;
  const items = [...(data?.tokens ?? []), ...(more?.tokens ?? [])];
  const next = more ? more.next : data?.next;
  const loadMore = () => {
    if (!next) return;
    setLoadingMore(true);
    setMoreError(undefined);
    const path = tokenSearchPath({ ...search, continuationToken: next }).path;
    api.get<{ tokens: Token[]; continuationToken: string | null }>(path).then(
      (page) => {
        setExtra({ key: request.path, tokens: [...(more?.tokens ?? []), ...page.tokens], next: page.continuationToken ?? undefined });
        setLoadingMore(false);
      },
      (e: unknown) => {
        setMoreError(e);
        setLoadingMore(false);
      },
    );
  };

  return (
    <>
      <PageTitle>Tokens</PageTitle>
      <form
        className={layout.row}
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          setSearch({ field: form.get('field') as SearchField, text: field(form, 'text'), status: field(form, 'status'), pool: field(form, 'pool'), pageSize: search.pageSize });
        }}
      >
        <Field label="Search by">
          <Select name="field" defaultValue={search.field}>
            <option value="user">UPN or employee id</option>
            <option value="serial">Serial number</option>
          </Select>
        </Field>
        <Field label="Search text">
          <Input name="text" type="search" defaultValue={search.text} />
        </Field>
        <Field label="Status">
          <AnyOf name="status" value={search.status} codes={TOKEN_STATUS_CODES} labelOf={tokenStatusLabel} />
        </Field>
        <Field label="Pool">
          <Input name="pool" defaultValue={search.pool} />
        </Field>
        <Button type="submit" appearance="primary">
          Search
        </Button>
      </form>
      <ErrorNote error={error} />
      <ErrorNote error={moreError} />
      {loading ? <Loading /> : null}
      {data ? (
        <DataTable
          caption={`Tokens found (${items.length}${next ? ' so far' : ''})`}
          columns={[
            { key: 'serial', label: 'Serial', render: (t: Token) => <Link href={`#/tokens/${encodeURIComponent(t.serialNumber)}`}>{t.serialNumber}</Link> },
            { key: 'status', label: 'Status', render: (t) => <StatusBadge code={t.status} label={tokenStatusLabel(t.status)} /> },
            { key: 'pool', label: 'Pool', render: (t) => t.pool || '(shared)' },
            { key: 'holder', label: 'Holder', render: (t) => <Holder token={t} /> },
            { key: 'model', label: 'Model', render: (t) => `${t.manufacturer} ${t.model}` },
            { key: 'changed', label: 'Changed', render: (t) => formatTime(t.updatedAt) },
          ]}
          items={items}
          rowKey={(t) => t.serialNumber}
          empty="No token matches"
          {...(next ? { more: { load: loadMore, loading: loadingMore } } : {})}
        />
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
  correlationId?: string;
  caller?: { oid: string; name?: string };
}

/** `version` (the token's updatedAt) loads the history again after an action. */
function History({ api, serial, version }: { api: Api; serial: string; version: string }) {
  const [pages, setPages] = useState<string[]>([]);
  const { data, error, loading } = useLoad(async () => {
    const entries: AuditEntry[] = [];
    let next: string | null = null;
    for (const continuationToken of [undefined, ...pages]) {
      const page: { entries: AuditEntry[]; continuationToken: string | null } = await api.get(auditPath({ serial, ...(continuationToken ? { continuationToken } : {}) }));
      entries.push(...page.entries);
      next = page.continuationToken;
    }
    return { entries, next };
  }, `${serial}:${pages.length}:${version}`);
  return (
    <Section title="History" id="history">
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <DataTable
          caption={`What happened to ${serial}, oldest first`}
          columns={[
            { key: 'at', label: 'When', render: (e: AuditEntry) => formatTime(e.at) },
            { key: 'who', label: 'Who', render: (e) => <WithIds label={actorLabel(e)} ids={[{ name: 'Object id', value: e.caller?.oid }]} /> },
            { key: 'what', label: 'What', render: (e) => e.action },
            { key: 'outcome', label: 'Outcome', render: (e) => e.outcome },
            { key: 'detail', label: 'Detail', render: (e) => e.detail ?? '' },
          ]}
          items={data.entries}
          rowKey={(_e, i) => String(i)}
          empty="Nothing recorded yet"
          {...(data.next ? { more: { load: () => setPages([...pages, data.next ?? '']), loading } } : {})}
        />
      ) : null}
    </Section>
  );
}

/** The revocation's reason, none chosen at first: each says in one line what it does. */
function RevokeReasons({ reasons, value, onChange }: { reasons: typeof REVOKE_REASONS; value: string; onChange: (reason: string) => void }) {
  return (
    <Field label="Reason" required>
      <RadioGroup name="reason" value={value} onChange={(_e, data) => onChange(data.value)}>
        {reasons.map((r) => (
          <Radio key={r.reason} value={r.reason} label={`${r.label}: ${r.effect}`} />
        ))}
      </RadioGroup>
    </Field>
  );
}

export function TokenPage({ api, serial, can }: { api: Api; serial: string; can: Abilities }) {
  const styles = useStyles();
  const { data, error, loading, reload } = useLoad(() => api.get<Token>(`tokens/${encodeURIComponent(serial)}`), serial);
  const [done, setDone] = useState('');
  const [reason, setReason] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  // A Temporary Access Pass is shown once, here, and never kept beyond this page.
  const [pass, setPass] = useState<{ temporaryAccessPass: string; lifetimeInMinutes?: number }>();
  // Actions address the person holding the token; a lost or retired token keeps its last holder for the record only.
  const held = data ? HELD.includes(data.status) : false;
  const holder = data && (held || data.status === 'revoked') ? holderOf(data) : undefined;
  const who = data ? personLabel(data) : '';
  const act = async (path: string, body?: unknown) => {
    const result = await api.post<{ serialNumber: string; status: string; changed: boolean }>(path, body);
    return () => {
      setDone(`${result.serialNumber} is now ${tokenStatusLabel(result.status).toLowerCase()}${result.changed ? '' : ' (it already was)'}`);
      reload();
    };
  };
  const resetDialog = (open: boolean) => {
    if (!open) {
      setReason('');
      setConfirmed(false);
    }
  };
  return (
    <>
      <Link href="#/tokens">Back to tokens</Link>
      <PageTitle>Token {serial}</PageTitle>
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <dl className={styles.facts}>
            <dt className={styles.dt}>Status</dt>
            <dd className={styles.dd} data-testid="token-status" data-status={data.status}>
              <StatusBadge code={data.status} label={tokenStatusLabel(data.status)} />
            </dd>
            <dt className={styles.dt}>{held ? 'Holder' : 'Last holder'}</dt>
            <dd className={styles.dd}>
              <Holder token={data} />
            </dd>
            <dt className={styles.dt}>Pool</dt>
            <dd className={styles.dd}>{data.pool || '(shared)'}</dd>
            <dt className={styles.dt}>Model</dt>
            <dd className={styles.dd}>
              {data.manufacturer} {data.model}
            </dd>
            <dt className={styles.dt}>Registered in Entra</dt>
            <dd className={styles.dd}>{data.registeredInEntra ? <WithIds label="yes" ids={[{ name: 'Entra device id', value: data.entraDeviceId }]} /> : 'not yet'}</dd>
            <dt className={styles.dt}>Last change</dt>
            <dd className={styles.dd}>
              {data.lastChangeReason} ({formatTime(data.updatedAt)})
            </dd>
            {data.revocationReason ? (
              <>
                <dt className={styles.dt}>Revocation reason</dt>
                <dd className={styles.dd}>{REVOKE_REASONS.find((r) => r.reason === data.revocationReason)?.label ?? data.revocationReason}</dd>
              </>
            ) : null}
          </dl>
          {done ? <Notice>{done}</Notice> : null}
          {pass ? (
            <Notice intent="warning">
              Temporary Access Pass for {who}, shown this once{pass.lifetimeInMinutes ? ` (valid ${pass.lifetimeInMinutes} minutes)` : ''}: <code className={styles.secret}>{pass.temporaryAccessPass}</code>
            </Notice>
          ) : null}
          {can.act && holder ? (
            <Section title="Actions" id="actions">
              <div className={styles.actions}>
                <ConfirmButton
                  label="Revoke"
                  title={`Revoke the token of ${who}`}
                  confirmLabel={`Revoke ${data.displayName ?? data.userPrincipalName ?? who}'s token`}
                  danger
                  ready={reason !== '' && (!isDestructiveReason(reason) || confirmed)}
                  onOpenChange={resetDialog}
                  onConfirm={(form) => act(`users/${encodeURIComponent(holder)}/token/revoke`, { reason, ...(field(form, 'note') ? { note: field(form, 'note') } : {}) })}
                >
                  <Text>
                    {who} loses sign-in with token {serial} at once. Choose why:
                  </Text>
                  <RevokeReasons reasons={REVOKE_REASONS} value={reason} onChange={setReason} />
                  {isDestructiveReason(reason) ? <Checkbox checked={confirmed} onChange={(_e, d) => setConfirmed(d.checked === true)} label={`I understand: token ${serial} can never be used again, by ${who} or anyone else.`} /> : null}
                  <Field label="Note (optional)">
                    <Input name="note" maxLength={500} />
                  </Field>
                </ConfirmButton>
                {data.status === 'active' || data.status === 'assigned' ? (
                  <ConfirmButton label="Suspend" title={`Suspend the token of ${who}`} confirmLabel={`Suspend ${data.displayName ?? data.userPrincipalName ?? who}'s token`} onConfirm={() => act(`users/${encodeURIComponent(holder)}/token/suspend`)}>
                    <Text>
                      Token {serial} is deactivated in Entra for a leave of absence; {who} keeps it and it is activated again on resume.
                    </Text>
                  </ConfirmButton>
                ) : null}
                {held ? (
                  <ConfirmButton
                    label="Replace"
                    title={`Replace the token of ${who}`}
                    confirmLabel={`Revoke and replace ${data.displayName ?? data.userPrincipalName ?? who}'s token`}
                    danger
                    ready={reason !== '' && confirmed}
                    onOpenChange={resetDialog}
                    onConfirm={async (form) => {
                      const answer = await api.post<{ revoked: { serialNumber: string; status: string }; temporaryAccessPass?: { temporaryAccessPass: string; lifetimeInMinutes?: number } }>(`users/${encodeURIComponent(holder)}/token/replace`, {
                        reason,
                        ...(field(form, 'note') ? { note: field(form, 'note') } : {}),
                        ...(form.get('tap') ? { temporaryAccessPass: true } : {}),
                      });
                      return () => {
                        setPass(answer.temporaryAccessPass);
                        setDone(`${answer.revoked.serialNumber} is now ${tokenStatusLabel(answer.revoked.status).toLowerCase()}; a replacement is queued for ${who}`);
                        reload();
                      };
                    }}
                  >
                    <Text>Token {serial} is revoked and its seed destroyed; a new token from the same pool is provisioned for {who}.</Text>
                    <RevokeReasons reasons={REVOKE_REASONS.filter((r) => isDestructiveReason(r.reason))} value={reason} onChange={setReason} />
                    <Checkbox checked={confirmed} onChange={(_e, d) => setConfirmed(d.checked === true)} label={`I understand: token ${serial} can never be used again.`} />
                    <Field label="Note (optional)">
                      <Input name="note" maxLength={500} />
                    </Field>
                    <Checkbox name="tap" value="yes" label={`Issue ${who} a Temporary Access Pass to sign in meanwhile`} />
                  </ConfirmButton>
                ) : null}
                {data.status === 'suspended' ? (
                  <ConfirmButton label="Resume" title={`Resume the token of ${who}`} confirmLabel="Resume" onConfirm={() => act(`users/${encodeURIComponent(holder)}/token/resume`)}>
                    <Text>Token {serial} is activated again with a fresh code.</Text>
                  </ConfirmButton>
                ) : null}
              </div>
            </Section>
          ) : null}
          {(can.desk || can.act) && data.status === 'awaiting_handover' ? (
            <Section title="Hand-over" id="handover">
              <HandoverButton api={api} serial={serial} who={who} onDone={(text) => { setDone(text); reload(); }} />
            </Section>
          ) : null}
          <History api={api} serial={data.serialNumber} version={data.updatedAt} />
        </>
      ) : null}
    </>
  );
}

/** The desk reads the code the token shows, in front of its new holder; the API checks it and activates. */
export function HandoverButton({ api, serial, who, onDone }: { api: Api; serial: string; who: string; onDone: (text: string) => void }) {
  return (
    <ConfirmButton
      label={`Hand over ${serial}`}
      title={`Hand token ${serial} over to ${who}`}
      confirmLabel="Check the code and activate"
      onConfirm={async (form) => {
        const answer = await api.post<{ serialNumber: string; status: string; driftSteps: number }>(`tokens/${encodeURIComponent(serial)}/handover`, { code: field(form, 'code') });
        return () => onDone(`${answer.serialNumber} is handed over to ${who} and active (clock drift ${answer.driftSteps} steps)`);
      }}
    >
      <Text>Check that the person in front of you is {who}, press the token's button and type the 6 digits it shows.</Text>
      <Field label="The code the token shows now" required>
        <Input name="code" inputMode="numeric" pattern="[0-9]{6}" autoComplete="off" required />
      </Field>
    </ConfirmButton>
  );
}
