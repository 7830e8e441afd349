import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';
import type { Api } from '../api';
import { UsageCharts } from '../components/UsageCharts';
import { countBy, needsAttention, recentWork, stockByPool, type PoolStock, type RecordLike, type TokenLike } from '../lib/overview';
import { ErrorNote, useLoad } from '../ui';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Reads every page of a listing, up to a bound, so the counts cover the inventory. */
async function allPages<T>(api: Api, first: string, field: string, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let path: string | undefined = first;
  for (let page = 0; path && page < maxPages; page++) {
    const body: Record<string, unknown> = await api.get(path);
    items.push(...((body[field] as T[] | undefined) ?? []));
    const next = body.continuationToken;
    path = typeof next === 'string' && next !== '' ? `${first}&continuationToken=${encodeURIComponent(next)}` : undefined;
  }
  return items;
}

function StockChart({ stock, threshold }: { stock: PoolStock[]; threshold: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: stock.map((p) => p.pool || '(shared)'),
        datasets: [
          { type: 'bar', label: 'In stock', data: stock.map((p) => p.inStock), backgroundColor: stock.map((p) => (p.low ? '#b42318' : '#1d5fa8')) },
          { type: 'line', label: `LOW_STOCK_THRESHOLD (${threshold})`, data: stock.map(() => threshold), borderColor: '#1f2328', borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    return () => chart.destroy();
  }, [stock, threshold]);
  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={`Tokens in stock per pool against the threshold of ${threshold}: ${stock.map((p) => `${p.pool || 'shared'} ${p.inStock}`).join(', ')}`} />
    </div>
  );
}

function Counts({ caption, rows }: { caption: string; rows: [string, number][] }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Count</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={2}>None</td>
          </tr>
        ) : (
          rows.map(([status, n]) => (
            <tr key={status}>
              <td>{status}</td>
              <td>{n}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

export function Overview({ api, threshold }: { api: Api; threshold: number }) {
  const { data, error, loading } = useLoad(async () => {
    const [tokens, records, report] = await Promise.all([
      allPages<TokenLike>(api, 'tokens?pageSize=1000', 'tokens'),
      allPages<RecordLike>(api, 'provisioning?pageSize=1000', 'records').catch(() => [] as RecordLike[]),
      api.find<unknown>('reports/reconcile/latest'),
    ]);
    return { tokens, records, report };
  }, 'overview');
  if (loading) return <p>Loading...</p>;
  if (error || !data) return <ErrorNote error={error} />;
  const stock = stockByPool(data.tokens, threshold);
  const recent = recentWork(data.records, new Date());
  const attention = needsAttention(data.records, data.report);
  return (
    <>
      <h1>Overview</h1>
      <section aria-labelledby="attention">
        <h2 id="attention">Needs a person ({attention.length})</h2>
        {attention.length === 0 ? (
          <p>Nothing needs a person right now.</p>
        ) : (
          <ul className="attention">
            {attention.map((a, i) => (
              <li key={i}>
                <a href={a.link}>{a.what}</a> <span className="muted">{a.detail}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="stock">
        <h2 id="stock">Stock per pool</h2>
        <StockChart stock={stock} threshold={threshold} />
        <table>
          <caption>Tokens in stock per pool (low below {threshold})</caption>
          <thead>
            <tr>
              <th scope="col">Pool</th>
              <th scope="col">In stock</th>
              <th scope="col">All tokens</th>
              <th scope="col">Low</th>
            </tr>
          </thead>
          <tbody>
            {stock.map((p) => (
              <tr key={p.pool}>
                <td>{p.pool || '(shared)'}</td>
                <td>{p.inStock}</td>
                <td>{p.total}</td>
                <td>{p.low ? 'low stock' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <UsageCharts api={api} tokens={data.tokens} report={data.report} />
      <div className="columns">
        <Counts caption="Tokens by status" rows={countBy(data.tokens, (t) => t.status)} />
        <Counts caption="Hires, last 30 days" rows={recent.hires} />
        <Counts caption="Leavers, last 30 days" rows={recent.leavers} />
      </div>
    </>
  );
}
