import { Link, Radio, RadioGroup, Field, Text } from '@fluentui/react-components';
import { useState } from 'react';
import type { Api } from '../api';
import { formatTime, personLabel, workKindLabel, workStatusLabel } from '../lib/labels';
import type { RecordLike } from '../lib/overview';
import { provisioningPath } from '../lib/query';
import type { Abilities } from '../lib/roles';
import { ConfirmButton, DataTable, ErrorNote, Loading, Notice, StatusBadge, useLoad, WithIds } from '../ui';
import { PageTitle, useLayout } from './common';

interface Work extends RecordLike {
  step: string | null;
  serialNumber: string | null;
  userPrincipalName: string | null;
  displayName?: string | null;
  entraUserId: string | null;
  attempts: number;
  refusal?: string | null;
}

const IN_FLIGHT = new Set(['queued', 'deferred', 'waiting_for_user', 'in_progress', 'pending_revocation', 'retrying']);
const retryable = (r: Work): boolean => (r.kind === 'joiner' && r.status === 'failed') || (r.kind === 'leaver' && ['failed', 'retrying', 'pending_revocation'].includes(r.status));

export function People({ api, can }: { api: Api; can: Abilities }) {
  const layout = useLayout();
  const [show, setShow] = useState<'open' | 'failed' | 'all'>('open');
  const [note, setNote] = useState('');
  const { data, error, loading, reload } = useLoad(async () => {
    const page = await api.get<{ records: Work[] }>(provisioningPath(show === 'failed' ? { status: 'failed' } : {}));
    return show === 'open' ? page.records.filter((r) => IN_FLIGHT.has(r.status) || r.status === 'failed') : page.records;
  }, show);
  const who = (r: Work) => personLabel(r);
  return (
    <>
      <PageTitle>People</PageTitle>
      <Text block>Hires and leavers in flight and failed, with the reason. A retry sends the work through the hr-events queue again.</Text>
      <div className={layout.row}>
        <Field label="Show">
          <RadioGroup layout="horizontal" value={show} onChange={(_e, d) => setShow(d.value as typeof show)}>
            <Radio value="open" label="In flight and failed" />
            <Radio value="failed" label="Failed only" />
            <Radio value="all" label="Everything" />
          </RadioGroup>
        </Field>
      </div>
      {note ? <Notice>{note}</Notice> : null}
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <DataTable
          caption={`Hire and leaver work (${data.length})`}
          columns={[
            { key: 'who', label: 'Person', render: (r: Work) => <WithIds label={who(r)} ids={[{ name: 'UPN', value: r.userPrincipalName }, { name: 'Employee id', value: r.employeeId }, { name: 'Entra object id', value: r.entraUserId }]} /> },
            { key: 'kind', label: 'Kind', render: (r) => workKindLabel(r.kind) },
            { key: 'status', label: 'Status', render: (r) => <StatusBadge code={r.status} label={workStatusLabel(r.status)} /> },
            { key: 'reason', label: 'Reason', render: (r) => r.reason ?? '' },
            { key: 'token', label: 'Token', render: (r) => (r.serialNumber ? <Link href={`#/tokens/${encodeURIComponent(r.serialNumber)}`}>{r.serialNumber}</Link> : '') },
            { key: 'updated', label: 'Updated', render: (r) => formatTime(r.updatedAt) },
            ...(can.act
              ? [
                  {
                    key: 'action',
                    label: 'Action',
                    render: (r: Work) => (
                      <>
                        {can.approve && r.kind === 'joiner' && r.status === 'failed' && r.refusal === 'privileged_account' ? (
                          <ConfirmButton label={`Approve ${who(r)}`} title={`Approve the hire of ${who(r)}, an account with a directory role`} confirmLabel={`Approve ${who(r)}`} danger onConfirm={async () => {
                            await api.post(`provisioning/${encodeURIComponent(r.employeeId)}/approve`);
                            return () => {
                              setNote(`The hire of ${who(r)} is approved and goes ahead`);
                              reload();
                            };
                          }}>
                            <Text>{r.reason ?? ''}</Text>
                          </ConfirmButton>
                        ) : null}
                        {retryable(r) ? (
                          <ConfirmButton label={`Retry ${who(r)}`} title={`Retry the ${workKindLabel(r.kind).toLowerCase()} of ${who(r)}`} confirmLabel="Retry" onConfirm={async () => {
                            const answer = await api.post<{ eventId: string }>(`provisioning/${encodeURIComponent(r.employeeId)}/retry`);
                            return () => {
                              setNote(`The ${workKindLabel(r.kind).toLowerCase()} of ${who(r)} is queued again (event ${answer.eventId})`);
                              reload();
                            };
                          }}>
                            <Text>{r.reason ?? ''}</Text>
                          </ConfirmButton>
                        ) : null}
                      </>
                    ),
                  },
                ]
              : []),
          ]}
          items={data}
          rowKey={(r) => `${r.employeeId}-${r.kind}`}
          empty="Nothing in flight or failed"
        />
      ) : null}
    </>
  );
}
