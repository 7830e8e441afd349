import { Link, Text } from '@fluentui/react-components';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type Plugin } from 'chart.js';
import { useEffect, useRef } from 'react';
import type { Api } from '../api';
import { UsageCharts } from '../components/UsageCharts';
import { tokenStatusLabel, workStatusLabel } from '../lib/labels';
import { countBy, needsAttention, recentWork, stockByPool, type PoolStock, type RecordLike, type TokenLike } from '../lib/overview';
import { DataTable, ErrorNote, Loading, useLoad } from '../ui';
import { allPages, PageTitle, Section, useLayout } from './common';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const THRESHOLD_COLOUR = '#a4262c';

/**
 * The threshold as a dashed line across the whole chart: a line dataset with one point per pool
 * draws nothing when there is one pool, so the line is drawn on the chart area itself.
 */
const thresholdLine = (threshold: number): Plugin<'bar'> => ({
  id: 'threshold',
  afterDatasetsDraw(chart) {
    const y = chart.scales.y?.getPixelForValue(threshold);
    if (y === undefined) return;
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.strokeStyle = THRESHOLD_COLOUR;
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(chartArea.left, y);
    ctx.lineTo(chartArea.right, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = THRESHOLD_COLOUR;
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.fillText(`low stock below ${threshold}`, chartArea.right - 4, y - 6);
    ctx.restore();
  },
});

function StockChart({ stock, threshold }: { stock: PoolStock[]; threshold: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: stock.map((p) => p.pool || '(shared)'),
        datasets: [{ label: 'In stock', data: stock.map((p) => p.inStock), backgroundColor: stock.map((p) => (p.low ? THRESHOLD_COLOUR : '#0f6cbd')), maxBarThickness: 80 }],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, suggestedMax: threshold + 1, ticks: { precision: 0 } } },
      },
      plugins: [thresholdLine(threshold)],
    });
    return () => chart.destroy();
  }, [stock, threshold]);
  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={`Tokens in stock per pool against the low-stock line at ${threshold}: ${stock.map((p) => `${p.pool || 'shared'} ${p.inStock}${p.low ? ' (low)' : ''}`).join(', ')}`} />
    </div>
  );
}

export function Overview({ api, threshold }: { api: Api; threshold: number }) {
  const layout = useLayout();
  const { data, error, loading } = useLoad(async () => {
    const [tokens, records, report] = await Promise.all([
      allPages<TokenLike & { displayName?: string | null; userPrincipalName: string | null; employeeId: string | null }>(api, 'tokens?pageSize=1000', 'tokens'),
      allPages<RecordLike>(api, 'provisioning?pageSize=1000', 'records'),
      api.get<unknown>('reports/reconcile/latest?allowEmpty=true'),
    ]);
    return { tokens, records, report };
  }, 'overview');
  if (loading) return <Loading />;
  if (error || !data) return <ErrorNote error={error} />;
  const stock = stockByPool(data.tokens, threshold);
  const recent = recentWork(data.records, new Date());
  const attention = needsAttention({ records: data.records, report: data.report, tokens: data.tokens, stock });
  const counts = (rows: [string, number][], label: (code: string) => string) => rows.map(([code, n]) => ({ code, label: label(code), n }));
  const countColumns = [
    { key: 'status', label: 'Status', render: (r: { label: string }) => r.label },
    { key: 'n', label: 'Count', render: (r: { n: number }) => r.n },
  ];
  return (
    <>
      <PageTitle>Overview</PageTitle>
      <Section title={`Needs a person (${attention.length})`} id="attention">
        {attention.length === 0 ? (
          <Text>Nothing needs a person right now.</Text>
        ) : (
          <ul className="attention">
            {attention.map((a, i) => (
              <li key={i}>
                <Link href={a.link}>{a.what}</Link> <Text size={200}>{a.detail}</Text>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Stock per pool" id="stock">
        <StockChart stock={stock} threshold={threshold} />
        <DataTable
          caption={`Tokens in stock per pool (low below ${threshold})`}
          columns={[
            { key: 'pool', label: 'Pool', render: (p: PoolStock) => p.pool || '(shared)' },
            { key: 'in', label: 'In stock', render: (p) => p.inStock },
            { key: 'all', label: 'All tokens', render: (p) => p.total },
            { key: 'low', label: 'Low', render: (p) => (p.inStock === 0 ? 'none left' : p.low ? 'low stock' : '') },
          ]}
          items={stock}
          rowKey={(p) => p.pool}
          empty="No tokens imported yet"
        />
      </Section>
      <UsageCharts api={api} tokens={data.tokens} report={data.report} />
      <div className={layout.columns}>
        <div className={layout.column}>
          <DataTable caption="Tokens by status" columns={countColumns} items={counts(countBy(data.tokens, (t) => t.status), tokenStatusLabel)} rowKey={(r) => r.code} />
        </div>
        <div className={layout.column}>
          <DataTable caption="Hires, last 30 days" columns={countColumns} items={counts(recent.hires, workStatusLabel)} rowKey={(r) => r.code} />
        </div>
        <div className={layout.column}>
          <DataTable caption="Leavers, last 30 days" columns={countColumns} items={counts(recent.leavers, workStatusLabel)} rowKey={(r) => r.code} />
        </div>
      </div>
    </>
  );
}
