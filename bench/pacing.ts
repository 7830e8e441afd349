import { benchHires } from './hires';
import { benchImportPaced } from './import';

/**
 * Pacing benchmark (issue 23, item 2): the table, rows two and three, and four instances
 * under one limit. Graph's emulator throttles as today's single bucket: 20 requests a second, 50 ms
 * latency. The import names 200 users (each checked, assigned and activated); its app budget is set
 * right (20) or left at the local stack's default (500, above the limit). Then 200 hires through four
 * host processes, each with the default budget, so only the shared budget keeps them under the limit.
 */

const ROWS = 200;
const RATE = 20;
const LATENCY_MS = 50;

export async function benchPacing(): Promise<object> {
  const budgetSetRight = await benchImportPaced(ROWS, RATE, LATENCY_MS, { namedUsers: true, appBudget: RATE });
  const budgetLeftAtDefault = await benchImportPaced(ROWS, RATE, LATENCY_MS, { namedUsers: true, appBudget: 'default' });
  const fourHosts = await benchHires({ hires: ROWS, graphRequestsPerSecond: RATE, graphLatencyMs: LATENCY_MS, workerHosts: 4, appBudget: 'default' });
  const defaultOverSetRight = Math.round((budgetLeftAtDefault.seconds / budgetSetRight.seconds) * 100) / 100;
  return {
    budgetSetRight,
    budgetLeftAtDefault,
    /** Goal: at most 1.2. */
    defaultOverSetRight,
    fourHosts: {
      workerHosts: fourHosts.workerHosts,
      hires: fourHosts.hires,
      completed: fourHosts.completed,
      failed: fourHosts.failed,
      seconds: fourHosts.seconds,
      graphRequests: Math.round(fourHosts.graphRequestsPerHire * fourHosts.hires),
      graph429s: fourHosts.graph429s,
      /** Goal: under 20. */
      graph429sPer1000Requests: fourHosts.graph429sPer1000Requests,
      requestsDuringRetryAfter: fourHosts.requestsDuringRetryAfter,
      shareOfGraphBudget: fourHosts.shareOfGraphBudget,
    },
    goalsMet: { defaultWithin1point2xOfSetRight: defaultOverSetRight <= 1.2, fourHostsUnder20Per1000: fourHosts.graph429sPer1000Requests < 20 },
  };
}
