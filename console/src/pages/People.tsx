import { useState } from 'react';
import type { Api } from '../api';
import type { RecordLike } from '../lib/overview';
import { provisioningPath } from '../lib/query';
import type { Abilities } from '../lib/roles';
import { ConfirmButton, ErrorNote, formatTime, useLoad } from '../ui';

interface Record extends RecordLike {
  step: string | null;
  serialNumber: string | null;
  userPrincipalName: string | null;
  attempts: number;
  refusal?: string | null;
}

const IN_FLIGHT = new Set(['queued', 'deferred', 'waiting_for_user', 'in_progress', 'pending_revocation', 'retrying']);
const retryable = (r: Record): boolean => (r.kind === 'joiner' && r.status === 'failed') || (r.kind === 'leaver' && ['failed', 'retrying', 'pending_revocation'].includes(r.status));

export function People({ api, can }: { api: Api; can: Abilities }) {
  const [show, setShow] = useState<'open' | 'failed' | 'all'>('open');
  const [note, setNote] = useState('');
  const { data, error, loading, reload } = useLoad(async () => {
    const page = await api.get<{ records: Record[] }>(provisioningPath(show === 'failed' ? { status: 'failed' } : {}));
    return show === 'open' ? page.records.filter((r) => IN_FLIGHT.has(r.status) || r.status === 'failed') : page.records;
  }, show);
  return (
    <>
      <h1>People</h1>
      <p>Joiners and leavers in flight and failed, with the reason. A retry sends the work through the hr-events queue again.</p>
      <fieldset className="filters">
        <legend>Show</legend>
        {(['open', 'failed', 'all'] as const).map((value) => (
          <label key={value} className="inline">
            <input type="radio" name="show" value={value} checked={show === value} onChange={() => setShow(value)} />
            {value === 'open' ? 'In flight and failed' : value === 'failed' ? 'Failed only' : 'Everything'}
          </label>
        ))}
      </fieldset>
      {note ? <p role="status">{note}</p> : null}
      <ErrorNote error={error} />
      {loading && !data ? <p>Loading...</p> : null}
      {data ? (
        <table>
          <caption>Joiner and leaver work ({data.length})</caption>
          <thead>
            <tr>
              <th scope="col">Employee</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Token</th>
              <th scope="col">Updated</th>
              {can.act ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.map((r) => (
              <tr key={`${r.employeeId}-${r.kind}`}>
                <td>
                  {r.employeeId}
                  {r.userPrincipalName ? <span className="muted"> {r.userPrincipalName}</span> : null}
                </td>
                <td>{r.kind}</td>
                <td>{r.status}</td>
                <td>{r.reason ?? ''}</td>
                <td>{r.serialNumber ? <a href={`#/tokens/${encodeURIComponent(r.serialNumber)}`}>{r.serialNumber}</a> : ''}</td>
                <td>{formatTime(r.updatedAt)}</td>
                {can.act ? (
                  <td>
                    {can.approve && r.kind === 'joiner' && r.status === 'failed' && r.refusal === 'privileged_account' ? (
                      <ConfirmButton label={`Approve ${r.employeeId}`} title={`Approve the hire of ${r.employeeId}, an account with a directory role`} confirmLabel="Approve" danger onConfirm={async () => {
                        await api.post(`provisioning/${encodeURIComponent(r.employeeId)}/approve`);
                        setNote(`The hire of ${r.employeeId} is approved and goes ahead`);
                        reload();
                      }}>
                        <p>{r.reason ?? ''}</p>
                      </ConfirmButton>
                    ) : null}
                    {retryable(r) ? (
                      <ConfirmButton label={`Retry ${r.employeeId}`} title={`Retry the ${r.kind} of ${r.employeeId}`} confirmLabel="Retry" onConfirm={async () => {
                        const answer = await api.post<{ eventId: string }>(`provisioning/${encodeURIComponent(r.employeeId)}/retry`);
                        setNote(`The ${r.kind} of ${r.employeeId} is queued again (event ${answer.eventId})`);
                        reload();
                      }}>
                        <p>{r.reason ?? ''}</p>
                      </ConfirmButton>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
