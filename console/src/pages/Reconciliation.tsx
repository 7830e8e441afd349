import { useState } from 'react';
import type { Api } from '../api';
import type { Abilities } from '../lib/roles';
import { ConfirmButton, ErrorNote, field, formatTime, useLoad } from '../ui';

interface Report {
  runId: string;
  mode: string;
  status?: string;
  requestedBy: string;
  startedAt: string;
  finishedAt: string;
  counts: Record<string, number>;
  drift: Record<string, number>;
  items: { kind: string; serialNumber?: string; employeeId?: string; detail: string; repair?: string }[];
  itemsTruncated: boolean;
  lowStock: { pool: string; available: number; threshold: number }[];
  repairsQueued: number;
}

export function Reconciliation({ api, can }: { api: Api; can: Abilities }) {
  const [runId, setRunId] = useState<string>();
  const [queued, setQueued] = useState<string>();
  const { data: report, error, loading, reload } = useLoad(() => (runId ? api.find<Report>(`reports/reconcile/${runId}`) : api.find<Report>('reports/reconcile/latest')), runId ?? 'latest');
  const [runError, setRunError] = useState<unknown>();
  return (
    <>
      <h1>Reconciliation</h1>
      {can.act ? (
        <form
          className="filters"
          onSubmit={(event) => {
            event.preventDefault();
            const mode = field(new FormData(event.currentTarget), 'mode');
            setRunError(undefined);
            api.post<{ runId: string; mode: string }>('reconcile', { mode }).then((answer) => {
              setQueued(`Run ${answer.runId} is queued (mode ${answer.mode}); its report appears here when it finishes.`);
              setRunId(answer.runId);
            }, setRunError);
          }}
        >
          <label>
            Mode
            <select name="mode" defaultValue="report">
              <option value="report">report: change nothing</option>
              <option value="safe">safe: repairs that never destroy anything</option>
              <option value="all">all: quarantine and destroy orphan seeds too</option>
            </select>
          </label>
          <button type="submit" className="primary">
            Run now
          </button>
        </form>
      ) : null}
      {queued ? <p role="status">{queued}</p> : null}
      <ErrorNote error={runError} />
      <ErrorNote error={error} />
      {loading && !report ? <p>Loading...</p> : null}
      {!loading && !report ? (
        <p>
          {runId ? `Run ${runId} has not finished yet. ` : 'No reconciliation has run yet. '}
          <button type="button" onClick={reload}>
            Look again
          </button>
        </p>
      ) : null}
      {report ? (
        <>
          <h2>
            Run {report.runId} ({report.mode}
            {report.status ? `, ${report.status}` : ''})
          </h2>
          <p>
            Requested by {report.requestedBy}, finished {formatTime(report.finishedAt)}. {report.counts.tokensInInventory ?? 0} tokens in the inventory, {report.counts.devicesInEntra ?? 0} devices in Entra, {report.counts.consistent ?? 0} consistent; {report.repairsQueued} repairs queued.{' '}
            <button type="button" onClick={reload}>
              Refresh
            </button>
          </p>
          {report.status === 'held' && can.act ? (
            <ConfirmButton label="Apply the held repairs" title={`Apply the repairs of run ${report.runId}`} confirmLabel="Apply" danger onConfirm={async () => {
              const answer = await api.post<{ repairs: number }>(`reconcile/${encodeURIComponent(report.runId)}/apply`);
              setQueued(`${answer.repairs} repairs of run ${report.runId} are queued; each looks again before it acts.`);
              reload();
            }}>
              <p>This run would change more than RECONCILE_MAX_CHANGES allows, so it waits for you. Read the items below first.</p>
            </ConfirmButton>
          ) : null}
          <table>
            <caption>Drift by kind</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(report.drift).map(([kind, n]) => (
                <tr key={kind} className={n > 0 ? 'flagged' : ''}>
                  <td>{kind}</td>
                  <td>{n}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Items{report.itemsTruncated ? ' (the first ones; the counts above are complete)' : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Token</th>
                <th scope="col">Employee</th>
                <th scope="col">Detail</th>
                <th scope="col">Repair</th>
              </tr>
            </thead>
            <tbody>
              {report.items.map((item, i) => (
                <tr key={i}>
                  <td>{item.kind}</td>
                  <td>{item.serialNumber ? <a href={`#/tokens/${encodeURIComponent(item.serialNumber)}`}>{item.serialNumber}</a> : ''}</td>
                  <td>{item.employeeId ?? ''}</td>
                  <td>{item.detail}</td>
                  <td>{item.repair ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}
