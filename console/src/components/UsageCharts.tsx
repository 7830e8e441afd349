import { Chart } from 'chart.js';
import { useEffect, useRef } from 'react';
import type { Api } from '../api';
import { ageingByMonth, unusedByPool, type AgeingPool, type UnusedItem } from '../lib/usage';
import { ErrorNote, useLoad } from '../ui';

/**
 * The Overview's unused tokens (from the latest reconciliation) and ageing forecast (GET
 * /api/reports/ageing) as charts, each linking to its list. Chart.js's controllers are registered by
 * the Overview page.
 */

function BarChart({ labels, datasets, label }: { labels: string[]; datasets: { label: string; data: number[]; color: string }[]; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels, datasets: datasets.map((d) => ({ type: 'bar' as const, label: d.label, data: d.data, backgroundColor: d.color })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });
    return () => chart.destroy();
  }, [labels, datasets]);
  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

export function UsageCharts({ api, tokens, report }: { api: Api; tokens: readonly { serialNumber: string; pool: string }[]; report: unknown }) {
  const { data, error, loading } = useLoad(() => api.get<{ pools: AgeingPool[] }>('reports/ageing?months=24'), 'ageing');
  const rep = (report ?? {}) as { items?: UnusedItem[]; drift?: Record<string, number> };
  const unused = unusedByPool(rep.items ?? [], tokens);
  const unusedTotal = rep.drift?.unused ?? unused.reduce((n, p) => n + p.unused, 0);
  const ageing = data ? ageingByMonth(data.pools) : [];
  return (
    <>
      <section aria-labelledby="unused">
        <h2 id="unused">Unused tokens ({unusedTotal})</h2>
        {report === undefined ? (
          <p>No reconciliation has run yet.</p>
        ) : unused.length === 0 ? (
          <p>No token has gone unused.</p>
        ) : (
          <BarChart
            labels={unused.map((p) => p.pool || '(shared)')}
            datasets={[{ label: 'Unused', data: unused.map((p) => p.unused), color: '#b54708' }]}
            label={`Unused tokens per pool: ${unused.map((p) => `${p.pool || 'shared'} ${p.unused}`).join(', ')}`}
          />
        )}
        <p>
          <a href="#/reconciliation">The unused tokens in the latest reconciliation report</a>
        </p>
      </section>
      <section aria-labelledby="ageing">
        <h2 id="ageing">Tokens reaching the end of their service life</h2>
        {loading ? (
          <p>Loading...</p>
        ) : error ? (
          <ErrorNote error={error} />
        ) : (
          <BarChart
            labels={ageing.map((m) => m.month)}
            datasets={[
              { label: 'In use', data: ageing.map((m) => m.inUse), color: '#1d5fa8' },
              { label: 'In stock', data: ageing.map((m) => m.inStock), color: '#7a8594' },
            ]}
            label={`Tokens reaching their end per month: ${ageing.filter((m) => m.inUse + m.inStock > 0).map((m) => `${m.month} ${m.inUse} in use, ${m.inStock} in stock`).join('; ') || 'none'}`}
          />
        )}
        <p>
          <a href="#/tokens">The token list</a>
        </p>
      </section>
    </>
  );
}
