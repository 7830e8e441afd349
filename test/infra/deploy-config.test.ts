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
    expect(yamlScalars(yamlBlock(azureYaml, 'api', 2), 2)).toEqual({ project: '.', language: 'ts', host: 'function', remoteBuild: 'true' });
  });

  // azd compiles with its own pinned Bicep; 0.36.1 (needed by the Graph extension types v1.0:1.0.0) is pinned from azd 1.17.0 (Azure/azure-dev#5244).
  it('requires the azd whose pinned Bicep compiles the Microsoft Graph extension types', () => {
    expect(yamlScalars(yamlBlock(azureYaml, 'requiredVersions', 0), 0)).toEqual({ azd: '>= 1.17.0' });
    expect(readRepoFile('docs/deploy.md')).not.toMatch(/az bicep upgrade/);
  });

  it('runs the postprovision hook that sets the api://<appId> identifier URI when asked to', () => {
    expect(yamlBlock(azureYaml, 'postprovision', 2).join('\n')).toContain('run: ./infra/hooks/postprovision.sh');
  });
});

describe('.funcignore and the remote build', () => {
  const ignored = readRepoFile('.funcignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('uploads no node_modules (built on the server) and nothing of the local stack, benchmarks or tests', () => {
    for (const entry of ['node_modules', 'dev', 'bench', 'test', 'dist/dev', 'dist/bench', 'dist/test', 'local.settings.json', '.local']) expect(ignored).toContain(entry);
  });

  it('keeps what the functions need: their sources, the build configs, host.json and the package files', () => {
    const shipped = ['functions', 'shared', 'cli', 'dist', 'dist/functions', 'dist/shared', 'dist/cli', 'host.json', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.app.json'];
    for (const entry of shipped) expect({ entry, ignored: ignored.some((pattern) => pattern === entry || pattern === `${entry}/` || pattern === '*') }).toEqual({ entry, ignored: false });
  });

  it('gives Oryx a build:azure that compiles the app alone and prunes the dev dependencies', () => {
    const scripts = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['build:azure']).toBe('npm run build:app && npm prune --omit=dev');
    expect(scripts['build:app']).toBe('tsc -p tsconfig.app.json');
  });

  it('needs nothing outside functions/, shared/ and cli/ at run time: no import reaches dev/, bench/ or test/', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
        const relative = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(relative);
        else if (entry.name.endsWith('.ts')) {
          for (const m of readRepoFile(relative).matchAll(/from '(\.[^']+)'/g)) {
            const target = path.relative(REPO_ROOT, path.resolve(REPO_ROOT, dir, m[1]!));
            if (!/^(functions|shared|cli)(\/|$)/.test(target)) offenders.push(`${relative} -> ${m[1]!}`);
          }
        }
      }
    };
    for (const dir of ['functions', 'shared', 'cli']) walk(dir);
    expect(offenders).toEqual([]);
  });
});

describe('azure.yaml and main.bicep', () => {
  const azureYaml = readRepoFile('azure.yaml');


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

  // azd substitutes text and converts it to the parameter's type; its todo-* templates map bools this way ("${USE_APIM=false}").
  it('maps only string and bool parameters, each from an azd value, defaults matching the Bicep', () => {
    for (const [name, { value }] of Object.entries(parameters)) {
      const param = params.find((p) => p.name === name);
      expect({ name, type: ['string', 'bool'].includes(param?.type ?? '') }).toEqual({ name, type: true });
      if (param?.type === 'bool') {
        expect({ name, value }).toEqual({ name, value: `\${${/^\$\{([A-Z_]+)/.exec(String(value))?.[1] ?? ''}=${param.value ?? ''}}` });
        continue;
      }
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
    expect(deployJob).toMatch(/needs: \[build, infra, plan\]/);
  });

  it('signs in to Azure with OIDC only: id-token permission, azure/login with ids, no stored credential', () => {
    expect(deployJob).toMatch(/permissions:\s*\n\s*id-token: write\s*\n\s*contents: read/);
    expect(deployJob).toMatch(/uses: azure\/login@v2\s*\n\s*with:\s*\n\s*client-id: \$\{\{ vars\.AZURE_CLIENT_ID \}\}\s*\n\s*tenant-id: \$\{\{ vars\.AZURE_TENANT_ID \}\}\s*\n\s*subscription-id: \$\{\{ vars\.AZURE_SUBSCRIPTION_ID \}\}/);
    expect(workflow).not.toMatch(/client-secret|creds:|publish-profile|AZURE_CREDENTIALS|secrets\./i);
    // Workflow-wide token stays read-only.
    expect(yamlBlock(workflow, 'permissions', 0).map((line) => line.trim()).filter(Boolean)).toEqual(['contents: read']);
  });

  it('shows the what-if in an ungated plan job, with a read-only identity, before the gated deployment', () => {
    const planJob = yamlBlock(workflow, 'plan', 2).join('\n');
    expect(planJob).toMatch(/needs: \[infra\]/);
    expect(planJob).toContain('environment: plan');
    expect(planJob).toContain('client-id: ${{ vars.AZURE_PLAN_CLIENT_ID }}');
    const whatIf = planJob.indexOf('az deployment sub what-if');
    expect(whatIf).toBeGreaterThan(planJob.indexOf('az bicep build'));
    expect(planJob.slice(whatIf)).toContain('--validation-level ProviderNoRbac');
    expect(planJob).toContain('GITHUB_STEP_SUMMARY');
    expect(planJob).not.toContain('az deployment sub create');
    // Reviewers approve `production` after the plan is out.
    expect(deployJob).toMatch(/needs: \[build, infra, plan\]/);
    expect(deployJob).toContain('environment: production');
    const build = deployJob.indexOf('az bicep build');
    const create = deployJob.indexOf('az deployment sub create');
    const code = deployJob.indexOf('az functionapp deployment source config-zip');
    expect(build).toBeGreaterThan(-1);
    expect(create).toBeGreaterThan(build);
    expect(code).toBeGreaterThan(create);
    expect(yamlBlock(workflow, 'infra', 2).join('\n')).toContain('az bicep build --file infra/main.bicep');
  });

  it('installs one pinned Bicep, at least 0.36.1, in every job that compiles', () => {
    const pinned = /^ {2}BICEP_VERSION: v(\d+)\.(\d+)\.(\d+)$/m.exec(workflow);
    expect(pinned).not.toBeNull();
    const [major, minor, patch] = (pinned ?? []).slice(1).map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(36_001);
    const installs = [...workflow.matchAll(/az bicep install[^\n]*/g)].map((m) => m[0]);
    expect(installs).toEqual(['az bicep install --version "$BICEP_VERSION"', 'az bicep install --version "$BICEP_VERSION"', 'az bicep install --version "$BICEP_VERSION"']);
    expect(workflow).not.toContain('az bicep upgrade');
  });

  it('packages only the functions, shared and cli output with production dependencies', () => {
    const build = yamlBlock(workflow, 'build', 2).join('\n');
    expect(build).toMatch(/npm run clean\s+npm run build:app\s+npm prune --omit=dev\s+zip -qr app\.zip dist host\.json package\.json node_modules/);
    const appConfig = JSON.parse(readRepoFile('tsconfig.app.json')) as { include: string[] };
    expect(appConfig.include.sort()).toEqual(['cli', 'functions', 'shared']);
  });

  it('passes only parameters main.bicep declares, leaving the Entra objects to an admin', () => {
    const declared = declarationsOf(parseBicep('infra/main.bicep'), 'param').map((p) => p.name);
    const script = readRepoFile('.github/scripts/deployment-parameters.sh');
    for (const job of [deployJob, yamlBlock(workflow, 'plan', 2).join('\n')]) expect(job).toContain('run: .github/scripts/deployment-parameters.sh');
    const jqObject = /\{(\$\w+(?:, \$\w+)*)\}/.exec(script)?.[1] ?? '';
    const passed = [...jqObject.matchAll(/\$(\w+)/g)].map((m) => m[1]!);
    expect(passed.length).toBeGreaterThan(0);
    expect(passed.filter((name) => !declared.includes(name))).toEqual([]);
    expect(script).toContain('deployEntraObjects: {value: false}');
    expect(passed).toContain('adminApiAppId');
  });

  it('reads the same azd values as infra/main.parameters.json, except the one-off initial secret', () => {
    const parameters = (JSON.parse(readRepoFile('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;
    const azdValues = Object.values(parameters).map(({ value }) => /^\$\{([A-Z_]+)/.exec(value)?.[1]);
    for (const name of azdValues) {
      // The pipeline never touches the Entra objects, so the identifier URI form is the first run's business.
      if (name === 'HR_WEBHOOK_SECRETS_INITIAL' || name === 'ADMIN_API_IDENTIFIER_URI_FORM') continue;
      for (const job of [deployJob, yamlBlock(workflow, 'plan', 2).join('\n')]) expect(job).toContain(`${name}: \${{ vars.${name} }}`);
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

  it('registers Microsoft.App beside Microsoft.Web, and tells what private networking costs and changes', () => {
    const providers = docs.slice(docs.indexOf('### Register the resource providers'), docs.indexOf('### Enable hardware OATH tokens'));
    for (const namespace of ['Microsoft.Web', 'Microsoft.App']) expect(providers).toContain(namespace);
    const privateNetworking = docs.slice(docs.indexOf('## Private networking'), docs.indexOf('## Pointing the HR system'));
    for (const text of ['PRIVATE_NETWORKING', 'Cost.', 'private endpoint', 'privatelink.vaultcore.azure.net', 'Data-plane access from your machine stops']) expect(privateNetworking).toContain(text);
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
