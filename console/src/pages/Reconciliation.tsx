import { Button, Field, Link, Select, Text } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import type { Api } from '../api';
import { driftLabel, formatTime, modeLabel, repairLabel } from '../lib/labels';
import { actorObjectId, reportSummary, requesterLabel, type ReportCounts } from '../lib/reconcile';
import type { Abilities } from '../lib/roles';
import { ConfirmButton, DataTable, ErrorNote, field, Loading, Notice, useLoad, WithIds } from '../ui';
import { PageTitle, Section, useLayout } from './common';

interface Report {
  runId: string;
  mode: string;
  status?: string;
  requestedBy: string;
  requestedByName?: string;
  applied?: { by: string; name?: string; at: string };
  startedAt: string;
  finishedAt: string;
  counts: ReportCounts;
  drift: Record<string, number>;
  items: { kind: string; serialNumber?: string; employeeId?: string; detail: string; repair?: string }[];
  itemsTruncated: boolean;
  lowStock: { pool: string; available: number; threshold: number }[];
  repairsQueued: number;
  repairsHeld?: number;
}

type Item = Report['items'][number];

/** The signed-in person, to say "you" for the runs they asked for. */
export interface Me {
  oid?: string;
  name?: string;
}

/** How often, and how long, the page looks for a run's report after "Run now". */
const POLL_MS = 1000;
const POLL_LIMIT = 180;

/** Follows a queued run until its report exists: no report yet is an answer (200 null), not an error. */
function useFollowedRun(api: Api, runId: string | undefined): { report: Report | undefined; polls: number; error: unknown } {
  const [state, setState] = useState<{ report: Report | undefined; polls: number; error: unknown }>({ report: undefined, polls: 0, error: undefined });
  useEffect(() => {
    if (!runId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ report: undefined, polls: 0, error: undefined });
    const look = (polls: number) => {
      api.get<Report | null>(`reports/reconcile/${encodeURIComponent(runId)}?allowEmpty=true`).then(
        (report) => {
          if (stopped) return;
          if (report) setState({ report, polls, error: undefined });
          else if (polls >= POLL_LIMIT) setState({ report: undefined, polls, error: new Error(`Run ${runId} has not finished after ${Math.round((POLL_LIMIT * POLL_MS) / 1000)} s: is the reconcile-work queue being processed? Reload the page to look again.`) });
          else {
            setState({ report: undefined, polls, error: undefined });
            timer = setTimeout(() => look(polls + 1), POLL_MS);
          }
        },
        (error: unknown) => !stopped && setState({ report: undefined, polls, error }),
      );
    };
    look(1);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [runId, api]);
  return state;
}

function ReportView({ report, api, can, me, onApplied }: { report: Report; api: Api; can: Abilities; me: Me; onApplied: (text: string) => void }) {
  return (
    <Section title={`Run ${report.runId}: ${modeLabel(report.mode)}${report.status === 'held' ? ', held' : ''}`} id="report">
      <Text block>
        Requested by <WithIds label={requesterLabel(report, me)} ids={[{ name: 'Object id', value: actorObjectId(report.requestedBy) }]} />, finished {formatTime(report.finishedAt)}.
      </Text>
      {report.applied ? (
        <Text block>
          Its held repairs were applied by{' '}
          <WithIds label={requesterLabel({ requestedBy: report.applied.by, requestedByName: report.applied.name ?? null }, me)} ids={[{ name: 'Object id', value: actorObjectId(report.applied.by) }]} />, {formatTime(report.applied.at)}.
        </Text>
      ) : null}
      <ul data-testid="report-summary">
        {reportSummary(report).map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      {report.status === 'held' && can.act ? (
        <ConfirmButton
          label="Apply the held repairs"
          title={`Apply the repairs of run ${report.runId}`}
          confirmLabel="Apply"
          danger
          onConfirm={async () => {
            const answer = await api.post<{ repairs: number }>(`reconcile/${encodeURIComponent(report.runId)}/apply`);
            return () => onApplied(`${answer.repairs} repairs of run ${report.runId} are queued; each looks again before it acts.`);
          }}
        >
          <Text>This run would change more than RECONCILE_MAX_CHANGES allows, so it waits for you. Read the items below first.</Text>
        </ConfirmButton>
      ) : null}
      <DataTable
        caption="Drift by kind"
        columns={[
          { key: 'kind', label: 'Kind', render: (r: [string, number]) => driftLabel(r[0]) },
          { key: 'n', label: 'Count', render: (r) => r[1] },
        ]}
        items={Object.entries(report.drift).filter(([, n]) => n > 0)}
        rowKey={(r) => r[0]}
        empty="No drift"
      />
      <DataTable
        caption={`Items${report.itemsTruncated ? ' (the first ones; the counts above are complete)' : ''}`}
        columns={[
          { key: 'kind', label: 'Kind', render: (i: Item) => driftLabel(i.kind) },
          { key: 'token', label: 'Token', render: (i) => (i.serialNumber ? <Link href={`#/tokens/${encodeURIComponent(i.serialNumber)}`}>{i.serialNumber}</Link> : '') },
          { key: 'employee', label: 'Employee', render: (i) => i.employeeId ?? '' },
          { key: 'detail', label: 'Detail', render: (i) => i.detail },
          { key: 'repair', label: 'Repair', render: (i) => repairLabel(i.repair) },
        ]}
        items={report.items}
        rowKey={(_i, n) => String(n)}
        empty="Nothing to list"
      />
    </Section>
  );
}

export function Reconciliation({ api, can, me }: { api: Api; can: Abilities; me: Me }) {
  const layout = useLayout();
  const [runId, setRunId] = useState<string>();
  const [note, setNote] = useState<string>();
  const [runError, setRunError] = useState<unknown>();
  const latest = useLoad(() => api.get<Report | null>('reports/reconcile/latest?allowEmpty=true'), 'latest');
  const followed = useFollowedRun(api, runId);
  const report = runId ? followed.report : latest.data ?? undefined;
  return (
    <>
      <PageTitle>Reconciliation</PageTitle>
      {can.act ? (
        <form
          className={layout.row}
          onSubmit={(event) => {
            event.preventDefault();
            const mode = field(new FormData(event.currentTarget), 'mode');
            setRunError(undefined);
            setNote(undefined);
            api.post<{ runId: string; mode: string }>('reconcile', { mode }).then((answer) => setRunId(answer.runId), setRunError);
          }}
        >
          <Field label="Mode">
            <Select name="mode" defaultValue="report">
              <option value="report">Report only: change nothing</option>
              <option value="safe">Safe repairs: never destroy anything</option>
              <option value="all">All repairs: also quarantine and destroy orphan seeds</option>
            </Select>
          </Field>
          <Button type="submit" appearance="primary">
            Run now
          </Button>
        </form>
      ) : null}
      {note ? <Notice>{note}</Notice> : null}
      <ErrorNote error={runError} />
      <ErrorNote error={runId ? followed.error : latest.error} />
      {runId && !followed.report && !followed.error ? (
        <div role="status">
          <Loading label={`Run ${runId} is running (${followed.polls} s); its report appears here when it finishes.`} />
        </div>
      ) : null}
      {!runId && latest.loading ? <Loading /> : null}
      {!runId && !latest.loading && !latest.error && !latest.data ? (
        <Notice intent="info">No reconciliation has run yet. {can.act ? 'Run one now, or wait for the schedule (RECONCILE_SCHEDULE).' : 'It runs on the schedule (RECONCILE_SCHEDULE).'}</Notice>
      ) : null}
      {report ? <ReportView report={report} api={api} can={can} me={me} onApplied={setNote} /> : null}
    </>
  );
}
