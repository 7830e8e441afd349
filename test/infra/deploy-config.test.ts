import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, declaration, declarationsOf, parseBicep, readRepoFile, stringLiteral } from './bicep-text';

/** The lines of the YAML block under `key:` at `indent` spaces (the key line excluded). */
function yamlBlock(text: string, key: string, indent: number): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line === `${' '.repeat(indent)}${key}:`);
  if (start < 0) throw new Error(`no ${key}: at indent ${indent}`);
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.search(/\S/) <= indent) break;
    block.push(line);
  }
  return block;
}

/** `key: value` scalars directly inside a YAML block (one level deeper than `indent`). */
function yamlScalars(block: string[], indent: number): Record<string, string> {
  const prefix = ' '.repeat(indent + 2);
  return Object.fromEntries(
    block
      .filter((line) => line.startsWith(prefix) && !line.startsWith(`${prefix} `))
      .map((line) => /^\s*([\w-]+):\s*(.*?)\s*$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && m[2] !== '')
      .map((m) => [m[1]!, m[2]!.replace(/^["']|["']$/g, '')]),
  );
}

describe('azure.yaml', () => {
  const azureYaml = readRepoFile('azure.yaml');

  it('names one function service in TypeScript/JavaScript, deployed from the repository root', () => {
    const services = yamlBlock(azureYaml, 'services', 0);
    const names = services.filter((line) => /^ {2}[\w-]+:\s*$/.test(line)).map((line) => line.trim().slice(0, -1));
    expect(names).toEqual(['api']);
    expect(yamlScalars(yamlBlock(azureYaml, 'api', 2), 2)).toEqual({ project: '.', language: 'ts', host: 'function' });
  });

  it('points azd at infra/main.bicep', () => {
    expect(yamlScalars(yamlBlock(azureYaml, 'infra', 0), 0)).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
  });

  it('matches the azd-service-name tag on the function app', () => {
    const main = parseBicep('infra/main.bicep');
    expect(stringLiteral(declaration(main, 'var', 'serviceName').value ?? '')).toBe('api');
    expect(declaration(main, 'module', 'functionApp').body).toContain("'azd-service-name': serviceName");
  });
});

describe('main.parameters.json', () => {
  const parameters = (JSON.parse(readRepoFile('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> }).parameters;
  const params = declarationsOf(parseBicep('infra/main.bicep'), 'param');

  it('gives only parameters main.bicep declares', () => {
    const declared = params.map((p) => p.name);
    expect(Object.keys(parameters).filter((name) => !declared.includes(name))).toEqual([]);
  });

  it('gives every parameter that has no default, from the azd environment', () => {
    const required = params.filter((p) => p.value === undefined).map((p) => p.name);
    expect(required.sort()).toEqual(['environmentName', 'location']);
    expect(parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(parameters.location?.value).toBe('${AZURE_LOCATION}');
  });

  it('maps only string parameters (azd substitutes text), each from an azd value, defaults matching the Bicep', () => {
    for (const [name, { value }] of Object.entries(parameters)) {
      const param = params.find((p) => p.name === name);
      expect({ name, type: param?.type }).toEqual({ name, type: 'string' });
      const match = /^\$\{([A-Z_]+)(?:=(.*))?\}$/.exec(String(value));
      expect(match).not.toBeNull();
      if (match?.[2] !== undefined && param?.value !== undefined) expect({ name, value: match[2] }).toEqual({ name, value: stringLiteral(param.value) });
    }
  });
});

describe('GitHub workflow', () => {
  const workflowDir = path.join(REPO_ROOT, '.github', 'workflows');
  const files = readdirSync(workflowDir).filter((name) => /\.ya?ml$/.test(name));
  const workflow = files.map((name) => readRepoFile(`.github/workflows/${name}`)).join('\n');
  const deployJob = yamlBlock(workflow, 'deploy', 2).join('\n');

  it('builds and tests on pull requests and deploys main', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(yamlBlock(workflow, 'on', 0).join('\n')).toMatch(/pull_request:[\s\S]*push:\s*\n\s*branches: \[main\]/);
    expect(workflow).toContain('run: .ci/run');
    expect(deployJob).toMatch(/if: github\.event_name != 'pull_request' && \(github\.ref == 'refs\/heads\/main'/);
    expect(deployJob).toMatch(/needs: \[build, infra\]/);
  });

  it('signs in to Azure with OIDC only: id-token permission, azure/login with ids, no stored credential', () => {
    expect(deployJob).toMatch(/permissions:\s*\n\s*id-token: write\s*\n\s*contents: read/);
    expect(deployJob).toMatch(/uses: azure\/login@v2\s*\n\s*with:\s*\n\s*client-id: \$\{\{ vars\.AZURE_CLIENT_ID \}\}\s*\n\s*tenant-id: \$\{\{ vars\.AZURE_TENANT_ID \}\}\s*\n\s*subscription-id: \$\{\{ vars\.AZURE_SUBSCRIPTION_ID \}\}/);
    expect(workflow).not.toMatch(/client-secret|creds:|publish-profile|AZURE_CREDENTIALS|secrets\./i);
    // Workflow-wide token stays read-only.
    expect(yamlBlock(workflow, 'permissions', 0).map((line) => line.trim()).filter(Boolean)).toEqual(['contents: read']);
  });

  it('compiles the Bicep and runs a what-if before it deploys', () => {
    const build = deployJob.indexOf('az bicep build');
    const whatIf = deployJob.indexOf('az deployment sub what-if');
    const create = deployJob.indexOf('az deployment sub create');
    const code = deployJob.indexOf('az functionapp deployment source config-zip');
    expect(build).toBeGreaterThan(-1);
    expect(whatIf).toBeGreaterThan(build);
    expect(create).toBeGreaterThan(whatIf);
    expect(code).toBeGreaterThan(create);
    expect(yamlBlock(workflow, 'infra', 2).join('\n')).toContain('az bicep build --file infra/main.bicep');
  });

  it('passes only parameters main.bicep declares, leaving the Entra objects to an admin', () => {
    const declared = declarationsOf(parseBicep('infra/main.bicep'), 'param').map((p) => p.name);
    const jqObject = /\{(\$\w+(?:, \$\w+)*)\}/.exec(deployJob)?.[1] ?? '';
    const passed = [...jqObject.matchAll(/\$(\w+)/g)].map((m) => m[1]!);
    expect(passed.length).toBeGreaterThan(0);
    expect(passed.filter((name) => !declared.includes(name))).toEqual([]);
    expect(deployJob).toContain('deployEntraObjects: {value: false}');
    expect(passed).toContain('adminApiAppId');
  });

  it('reads the same azd values as infra/main.parameters.json, except the one-off initial secret', () => {
    const parameters = (JSON.parse(readRepoFile('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;
    const azdValues = Object.values(parameters).map(({ value }) => /^\$\{([A-Z_]+)/.exec(value)?.[1]);
    for (const name of azdValues) {
      if (name === 'HR_WEBHOOK_SECRETS_INITIAL') continue;
      expect(deployJob).toContain(`${name}: \${{ vars.${name} }}`);
    }
    expect(workflow).not.toContain('HR_WEBHOOK_SECRETS');
  });
});

describe('docs/deploy.md', () => {
  const docs = readRepoFile('docs/deploy.md');

  it('documents every GitHub variable the workflow reads', () => {
    const workflow = readRepoFile('.github/workflows/ci-cd.yml');
    const variables = new Set([...workflow.matchAll(/vars\.(\w+)/g)].map((m) => m[1]!));
    expect(variables.size).toBeGreaterThan(5);
    for (const variable of variables) expect(docs).toContain(`\`${variable}\``);
  });

  it('documents the texts the alerts match, so the code can keep to them', () => {
    const alerts = parseBicep('infra/modules/alerts.bicep');
    for (const query of ['lowStockQuery', 'poisonMessageQuery']) {
      const text = stringLiteral(declaration(alerts, 'var', query).value ?? '');
      expect(docs.replace(/\\\|/g, '|')).toContain(text);
    }
    expect(docs).toContain('starts with `LowStock`');
  });

  it('names the admin roles, the Graph permissions and how to roll back', () => {
    for (const text of [
      'Privileged Role Administrator',
      'Authentication Policy Administrator',
      'Policy.ReadWrite.AuthenticationMethod',
      'UserAuthenticationMethod.ReadWrite.All',
      'User.Read.All',
      'Tokens.Admin',
      'Tokens.Read',
      '## Rotating the webhook secret',
      '## Rolling back',
    ]) {
      expect(docs).toContain(text);
    }
  });
});
