import {
  arrayItems,
  declaration,
  evaluate,
  objectEntry,
  parseBicep,
  property,
  stringLiteral,
} from './bicep-text';
import { CONTAINERS, poisonQueueOf, QUEUES, TABLES } from '../../shared/storageNames';
import { mainFile, moduleScope, resourceNames, SAMPLE } from './sample-deployment';

/** Azure's naming rules for what main.bicep names (learn.microsoft.com, "Naming rules and restrictions"). */
const RULES: Record<string, { pattern: RegExp; max: number; min: number }> = {
  resourceGroup: { pattern: /^[-\w.()]*[-\w()]$/, min: 1, max: 90 },
  identity: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, min: 3, max: 128 },
  plan: { pattern: /^[a-zA-Z0-9-]+$/, min: 1, max: 60 },
  functionApp: { pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, min: 2, max: 60 },
  storage: { pattern: /^[a-z0-9]+$/, min: 3, max: 24 },
  keyVault: { pattern: /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/, min: 3, max: 24 },
  logAnalytics: { pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, min: 4, max: 63 },
  appInsights: { pattern: /^[^%&\\?/<>*#|]+$/, min: 1, max: 260 },
  actionGroup: { pattern: /^[^%&\\?/<>*#|]+$/, min: 1, max: 260 },
  // Followed by '-low-stock' / '-poison-messages' (checked below with the suffix).
  alertPrefix: { pattern: /^[^<>*%{}&:\\?+/#|]+$/, min: 1, max: 240 },
  adminApi: { pattern: /^[a-z0-9-]+$/, min: 1, max: 100 },
  virtualNetwork: { pattern: /^[a-zA-Z0-9](?:[\w.-]*\w)?$/, min: 2, max: 64 },
};

const CONTAINER_OR_QUEUE = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const TABLE = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

function maxLengthOf(paramName: string): number {
  const decorator = declaration(mainFile(), 'param', paramName).decorators.find((d) => d.startsWith('@maxLength('));
  const length = Number(/^@maxLength\((\d+)\)$/.exec(decorator ?? '')?.[1]);
  if (!Number.isInteger(length)) throw new Error(`${paramName} has no @maxLength`);
  return length;
}

describe('resource names from the default parameters', () => {
  it('come from a resource token made by uniqueString(), which the sample stands in for', () => {
    expect(declaration(mainFile(), 'var', 'resourceToken').value).toBe('toLower(uniqueString(subscription().id, environmentName, location))');
    expect(SAMPLE.resourceToken).toMatch(/^[a-z2-7]{13}$/);
  });

  const environmentNames = {
    short: 'p',
    typical: SAMPLE.environmentName,
    // azd environment names are letters, digits and hyphens; the longest the parameter allows.
    longest: 'prod-'.padEnd(maxLengthOf('environmentName'), 'x'),
  };

  for (const [label, environmentName] of Object.entries(environmentNames)) {
    it(`follow Azure's length and character rules (${label} environment name)`, () => {
      const names = resourceNames({ environmentName });
      expect(Object.keys(names).sort()).toEqual(Object.keys(RULES).sort());
      for (const [key, name] of Object.entries(names)) {
        const rule = RULES[key]!;
        expect({ key, name, fits: name.length >= rule.min && name.length <= rule.max && rule.pattern.test(name) }).toEqual({ key, name, fits: true });
      }
    });
  }

  it('differ between environments for every globally unique name', () => {
    const first = resourceNames({ resourceToken: 'aaaaaaaaaaaaa' });
    const second = resourceNames({ resourceToken: 'bbbbbbbbbbbbb' });
    for (const key of ['storage', 'keyVault', 'functionApp', 'adminApi']) expect(first[key]).not.toBe(second[key]);
  });

  it('give alert rules names within the rules once the suffix is added', () => {
    const scope = moduleScope('alerts', {});
    const prefix = resourceNames().alertPrefix ?? '';
    expect(prefix).not.toBe('');
    for (const symbol of ['lowStockAlert', 'poisonMessageAlert']) {
      const name = evaluate(objectEntry(declaration(scope.file, 'resource', symbol).body ?? '', 'name'), scope);
      expect(name.length).toBeLessThanOrEqual(260);
      expect(name).toMatch(/^[^<>*%{}&:\\?+/#|]+$/);
      expect(name.startsWith(`${prefix}-`)).toBe(true);
    }
  });

  it('give the action group a short name of at most 12 characters', () => {
    const body = declaration(parseBicep('infra/modules/alerts.bicep'), 'resource', 'actionGroup').body ?? '';
    expect(stringLiteral(property(body, 'properties', 'groupShortName')).length).toBeLessThanOrEqual(12);
  });
});

describe('storage layout', () => {
  const layout = declaration(mainFile(), 'var', 'storageLayout').value ?? '';
  const list = (key: string) => arrayItems(objectEntry(layout, key)).map(stringLiteral);

  it('holds exactly the queues, tables and containers the code declares in shared/storageNames.ts', () => {
    expect(list('workQueues').sort()).toEqual(Object.values(QUEUES).sort());
    expect(list('tables').sort()).toEqual(Object.values(TABLES).sort());
    expect(list('containers').sort()).toEqual(Object.values(CONTAINERS).sort());
    expect(list('workQueues')).toEqual(expect.arrayContaining(['hr-events', 'reconcile-work']));
    expect(stringLiteral(objectEntry(layout, 'deploymentContainer'))).toMatch(CONTAINER_OR_QUEUE);
  });

  it('creates every work queue with its poison queue', () => {
    const storage = parseBicep('infra/modules/storage.bicep');
    expect(declaration(storage, 'var', 'queues').value?.replace(/\s+/g, ' ')).toBe("flatten(map(workQueues, queue => [ queue '${queue}-poison' ]))");
    expect(declaration(storage, 'resource', 'queueResources').prefix).toBe('[for queue in queues:');
    const call = declaration(mainFile(), 'module', 'storage').body ?? '';
    expect(property(call, 'params', 'workQueues')).toBe('storageLayout.workQueues');
    // The same rule the code (and the Functions host) uses for poison queue names.
    for (const queue of list('workQueues')) expect(poisonQueueOf(queue)).toBe(`${queue}-poison`);
    for (const queue of list('workQueues').flatMap((q) => [q, poisonQueueOf(q)])) expect(queue).toMatch(CONTAINER_OR_QUEUE);
  });

  it('creates the tables and containers, the Flex Consumption package container included', () => {
    const storage = parseBicep('infra/modules/storage.bicep');
    expect(declaration(storage, 'resource', 'tableResources').prefix).toBe('[for table in tables:');
    expect(declaration(storage, 'resource', 'blobContainers').prefix).toBe('[for container in containers:');
    const call = declaration(mainFile(), 'module', 'storage').body ?? '';
    expect(property(call, 'params', 'tables')).toBe('storageLayout.tables');
    expect(property(call, 'params', 'containers')).toBe('concat(storageLayout.containers, [storageLayout.deploymentContainer])');
    for (const table of list('tables')) expect(table).toMatch(TABLE);
    for (const container of list('containers')) expect(container).toMatch(CONTAINER_OR_QUEUE);
    const functionApp = declaration(mainFile(), 'module', 'functionApp').body ?? '';
    expect(property(functionApp, 'params', 'deploymentContainerName')).toBe('storageLayout.deploymentContainer');
  });
});

describe('alerts', () => {
  const alerts = parseBicep('infra/modules/alerts.bicep');

  it('watch Application Insights for the LowStock log line and for messages moved to a poison queue', () => {
    expect(stringLiteral(declaration(alerts, 'var', 'lowStockQuery').value ?? '')).toBe('traces | where message startswith "LowStock"');
    expect(stringLiteral(declaration(alerts, 'var', 'poisonMessageQuery').value ?? '')).toContain(
      'message startswith "Message has reached MaxDequeueCount"',
    );
    for (const [symbol, query] of [
      ['lowStockAlert', 'lowStockQuery'],
      ['poisonMessageAlert', 'poisonMessageQuery'],
    ] as const) {
      const body = declaration(alerts, 'resource', symbol).body ?? '';
      expect(arrayItems(property(body, 'properties', 'scopes'))).toEqual(['appInsights.id']);
      const criterion = arrayItems(property(body, 'properties', 'criteria', 'allOf'))[0] ?? '';
      expect(objectEntry(criterion, 'query')).toBe(query);
      expect(stringLiteral(objectEntry(criterion, 'operator'))).toBe('GreaterThan');
      expect(objectEntry(criterion, 'threshold')).toBe('0');
    }
  });
});
