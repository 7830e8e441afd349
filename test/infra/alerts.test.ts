import { readdirSync } from 'node:fs';
import path from 'node:path';
import { arrayItems, declaration, parseBicep, property, readRepoFile, REPO_ROOT, stringLiteral } from './bicep-text';
import { appSettingValues } from './sample-deployment';

/** Every source file of the app: the warning lines the alerts read are written there. */
function sourceText(): string {
  return ['functions', 'shared']
    .flatMap((dir) => readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => readRepoFile(path.join(dir, f))))
    .join('\n');
}

describe('alerts on leavers, held tokens and held runs', () => {
  const alerts = parseBicep('infra/modules/alerts.bicep');
  const query = (name: string) => stringLiteral(declaration(alerts, 'var', name).value ?? '');

  it('fire on the warning lines the code writes', () => {
    const code = sourceText();
    for (const [name, line] of [
      ['leaverFailingQuery', 'LeaverRevocationFailing'],
      ['heldAfterTerminationQuery', 'ReconcileDrift kind=held_after_termination'],
      ['reconcileHeldQuery', 'ReconcileHeld'],
    ] as const) {
      expect(query(name)).toBe(`traces | where message startswith "${line}"`);
    }
    expect(code).toContain('`LeaverRevocationFailing employeeId=');
    expect(code).toContain('`ReconcileHeld run=');
    // The drift line is built from the kind: ReconcileDrift kind=${finding.kind}, and held_after_termination is always written.
    expect(code).toContain('`ReconcileDrift kind=${finding.kind} ');
    expect(code).toContain("finding.kind === 'held_after_termination'");
  });

  it('are one scheduled query rule each on Application Insights, counting any line', () => {
    const body = declaration(alerts, 'resource', 'leaverAndReconcileAlerts').body ?? '';
    for (const name of ['leaverFailingQuery', 'heldAfterTerminationQuery', 'reconcileHeldQuery']) expect(declaration(alerts, 'var', 'leaverAlerts').value).toContain(`query: ${name}`);
    expect(readRepoFile('infra/modules/alerts.bicep')).toContain("resource leaverAndReconcileAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for alert in leaverAlerts: {");
    expect(body).toContain('query: alert.query');
    expect(body).toContain("operator: 'GreaterThan'");
    expect(body).toContain('threshold: 0');
    expect(arrayItems(property(body, 'properties', 'scopes'))).toEqual(['appInsights.id']);
  });

  it('never miss a line to sampling: every alert reads traces, and host.json keeps traces out of sampling', () => {
    const host = JSON.parse(readRepoFile('host.json')) as { logging: { applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes: string } } } };
    const sampling = host.logging.applicationInsights.samplingSettings;
    if (sampling.isEnabled) expect(sampling.excludedTypes.split(';')).toEqual(expect.arrayContaining(['Trace', 'Exception', 'Request']));
    for (const name of ['lowStockQuery', 'poisonMessageQuery', 'leaverFailingQuery', 'heldAfterTerminationQuery', 'reconcileHeldQuery']) {
      expect(query(name).startsWith('traces |')).toBe(true);
    }
  });

  it('are documented with their texts, and infra sets RECONCILE_MAX_CHANGES', () => {
    const docs = readRepoFile('docs/deploy.md').replace(/\\\|/g, '|');
    for (const name of ['leaverFailingQuery', 'heldAfterTerminationQuery', 'reconcileHeldQuery']) expect(docs).toContain(query(name));
    expect(docs).toContain('excludedTypes');
    expect(appSettingValues().RECONCILE_MAX_CHANGES).toBe('50');
  });
});
