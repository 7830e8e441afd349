import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../dev/paths';
import { asString, type JsonObject } from './arm-template';
import { appSettingValues, mainDeployment, readRepoFile, resourceNames } from './sample-deployment';

/** Each alert rule's query, by the rule's name after the alert prefix (e.g. 'low-stock'). */
function alertQueries(): Record<string, string> {
  const deployment = mainDeployment();
  const prefix = resourceNames(deployment).alertPrefix!;
  return Object.fromEntries(
    deployment
      .module('alerts')
      .resources()
      .filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules')
      .map((r) => [r.name.slice(prefix.length + 1), asString((((r.get('properties') as JsonObject).criteria as JsonObject).allOf as JsonObject[])[0]!.query, 'query')]),
  );
}

/** Every source file of the app: the warning lines the alerts read are written there. */
function sourceText(): string {
  return ['functions', 'shared']
    .flatMap((dir) => readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => readRepoFile(path.join(dir, f))))
    .join('\n');
}

describe('alerts on leavers, held tokens and held runs', () => {
  const queries = alertQueries();

  it('fire on the warning lines the code writes', () => {
    const code = sourceText();
    for (const [name, line] of [
      ['leaver-revocation-failing', 'LeaverRevocationFailing'],
      ['held-after-termination', 'ReconcileDrift kind=held_after_termination'],
      ['held-by-departed', 'ReconcileDrift kind=held_by_departed'],
      ['reconcile-held', 'ReconcileHeld'],
    ] as const) {
      expect(queries[name]).toBe(`traces | where message startswith "${line}"`);
    }
    expect(code).toContain('`LeaverRevocationFailing employeeId=');
    expect(code).toContain('`ReconcileHeld run=');
    // The drift line is built from the kind: ReconcileDrift kind=${finding.kind}, and both held kinds are always written.
    expect(code).toContain('`ReconcileDrift kind=${finding.kind} ');
    expect(code).toContain("finding.kind === 'held_after_termination' || finding.kind === 'held_by_departed'");
  });

  it('never miss a line to sampling: every alert reads traces, and host.json keeps traces out of sampling', () => {
    const host = JSON.parse(readRepoFile('host.json')) as { logging: { applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes: string } } } };
    const sampling = host.logging.applicationInsights.samplingSettings;
    if (sampling.isEnabled) expect(sampling.excludedTypes.split(';')).toEqual(expect.arrayContaining(['Trace', 'Exception', 'Request']));
    expect(Object.keys(queries)).toHaveLength(6);
    for (const query of Object.values(queries)) expect(query.startsWith('traces |')).toBe(true);
  });

  it('are documented with their texts, and infra sets RECONCILE_MAX_CHANGES', () => {
    const docs = readRepoFile('docs/deploy.md').replace(/\\\|/g, '|');
    for (const name of ['leaver-revocation-failing', 'held-after-termination', 'held-by-departed', 'reconcile-held', 'low-stock', 'poison-messages']) expect(docs).toContain(queries[name]);
    expect(docs).toContain('excludedTypes');
    expect(appSettingValues().RECONCILE_MAX_CHANGES).toBe('50');
  });
});
