import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../dev/paths';
import { BICEP_CLI_VERSION } from '../../dev/infra-build';
import { asString, isObject, type Json, type JsonObject } from './arm-template';
import { appSettingValues, compiledTemplate, mainDeployment, readRepoFile, resourceNames } from './sample-deployment';

/** The parameters the compiled template declares: name -> declaration (type, defaultValue, allowedValues...). */
const declaredParameters = compiledTemplate().parameters as Record<string, JsonObject>;

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

  // What azd reads (Azure/azure-dev schemas/v1.0/azure.yaml.json): name pattern, each service's host and language, project, remoteBuild.
  it('names one function service in TypeScript, deployed from the repository root with a remote build', () => {
    expect(/^name: (\S+)$/m.exec(azureYaml)?.[1]).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const services = yamlBlock(azureYaml, 'services', 0);
    const names = services.filter((line) => /^ {2}[\w-]+:\s*$/.test(line)).map((line) => line.trim().slice(0, -1));
    expect(names).toEqual(['api']);
    const api = yamlScalars(yamlBlock(azureYaml, 'api', 2), 2);
    expect(api).toEqual({ project: '.', language: 'ts', host: 'function', remoteBuild: 'true' });
    // One of the schema's hosts and languages; remoteBuild a YAML boolean (unquoted), which azd honours for function apps.
    expect(['appservice', 'containerapp', 'function', 'springapp', 'staticwebapp', 'aks']).toContain(api.host);
    expect(['dotnet', 'csharp', 'fsharp', 'py', 'python', 'js', 'ts', 'java', 'go', 'golang', 'docker']).toContain(api.language);
    expect(yamlBlock(azureYaml, 'api', 2)).toContain('    remoteBuild: true');
    // A Node.js project: the directory holds the package.json whose scripts Oryx runs.
    const project = path.join(REPO_ROOT, api.project!);
    expect(statSync(project).isDirectory()).toBe(true);
    expect(existsSync(path.join(project, 'package.json'))).toBe(true);
    expect(existsSync(path.join(project, 'host.json'))).toBe(true);
  });

  it('deploys the api service to the function app, found by its azd-service-name tag', () => {
    const deployment = mainDeployment();
    const site = deployment.module('function-app').resource((r) => r.type === 'Microsoft.Web/sites', 'the site');
    expect(site.get('tags')).toEqual({ 'azd-env-name': 'prod', 'azd-service-name': 'api' });
    expect(site.name).toBe(resourceNames(deployment).functionApp);
    // Nothing else carries the tag, or azd would not know where to deploy.
    const tagged = deployment
      .resources()
      .filter((r) => r.type === 'Microsoft.Resources/deployments')
      .flatMap((m) => deployment.nested(m).resources())
      .filter((r) => isObject(r.get('tags')) && (r.get('tags') as JsonObject)['azd-service-name'] !== undefined);
    expect(tagged.map((r) => r.name)).toEqual([site.name]);
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

  it('points azd at infra/main.bicep and its parameters file', () => {
    const infra = yamlScalars(yamlBlock(azureYaml, 'infra', 0), 0);
    expect(infra).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    // azd reads <path>/<module>.bicep and <path>/<module>.parameters.json.
    expect(existsSync(path.join(REPO_ROOT, infra.path!, `${infra.module!}.bicep`))).toBe(true);
    expect(existsSync(path.join(REPO_ROOT, infra.path!, `${infra.module!}.parameters.json`))).toBe(true);
    expect(compiledTemplate().$schema).toBe('https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#');
  });
});

/**
 * What azd does with main.parameters.json: substitutes ${NAME} and ${NAME=default} from the azd environment
 * (empty when unset and no default), then hands the values to the template, converted to each parameter's type.
 */
function azdParameters(parameters: Record<string, { value: Json }>, environment: Record<string, string>): JsonObject {
  return Object.fromEntries(
    Object.entries(parameters).map(([name, { value }]) => {
      const substituted = typeof value === 'string' ? value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?:=([^}]*))?\}/g, (_, variable: string, fallback: string | undefined) => environment[variable] ?? fallback ?? '') : value;
      const type = asString(declaredParameters[name]?.type, `${name} type`).toLowerCase();
      if (type === 'bool' && typeof substituted === 'string') {
        if (substituted !== 'true' && substituted !== 'false') throw new Error(`${name}: ${substituted} is not a bool`);
        return [name, substituted === 'true'];
      }
      return [name, substituted];
    }),
  );
}

describe('main.parameters.json', () => {
  const parameters = (JSON.parse(readRepoFile('infra/main.parameters.json')) as { parameters: Record<string, { value: Json }> }).parameters;
  const variablesOf = (value: Json) => [...asString(value).matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);

  it('gives only parameters the template declares', () => {
    expect(Object.keys(parameters).filter((name) => !(name in declaredParameters))).toEqual([]);
  });

  it('gives every parameter without a default a value, from the azd environment', () => {
    const required = Object.entries(declaredParameters)
      .filter(([, declaration]) => !('defaultValue' in declaration))
      .map(([name]) => name);
    expect(required.sort()).toEqual(['environmentName', 'location']);
    for (const name of required) expect(name in parameters).toBe(true);
    expect(parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(parameters.location?.value).toBe('${AZURE_LOCATION}');
  });

  // azd substitutes text and converts it to the parameter's type; its todo-* templates map bools this way ("${USE_APIM=false}").
  it('maps only string and bool parameters, each from one azd value, with defaults equal to the template\'s', () => {
    for (const [name, { value }] of Object.entries(parameters)) {
      const declaration = declaredParameters[name]!;
      expect({ name, type: ['string', 'securestring', 'bool'].includes(asString(declaration.type).toLowerCase()) }).toEqual({ name, type: true });
      const match = /^\$\{([A-Z_][A-Z0-9_]*)(?:=(.*))?\}$/.exec(asString(value, name));
      expect({ name, match: match !== null }).toEqual({ name, match: true });
      if (match?.[2] !== undefined) expect({ name, default: match[2] }).toEqual({ name, default: typeof declaration.defaultValue === 'boolean' ? String(declaration.defaultValue) : declaration.defaultValue });
    }
  });

  it('deploys as azd passes it, with only the required azd values set and with every optional one set', () => {
    const minimal = mainDeployment(azdParameters(parameters, { AZURE_ENV_NAME: 'prod', AZURE_LOCATION: 'swedencentral' }));
    expect(minimal.outputs().AZURE_RESOURCE_GROUP).toBe('rg-prod');
    expect(appSettingValues(minimal).ACTIVATION_MODE).toBe('auto');
    const full = mainDeployment(
      azdParameters(parameters, {
        AZURE_ENV_NAME: 'prod',
        AZURE_LOCATION: 'ukwest',
        ACTIVATION_MODE: 'handover',
        RECONCILE_SCHEDULE: '0 30 3 * * *',
        DIRECTORY_SYNC_SCHEDULE: '0 */15 * * * *',
        DIRECTORY_SYNC_GROUP_ID: '6f1e3c5a-7b9d-4e1f-8a3c-5e7a9c1e3b5d',
        AZURE_STORAGE_SKU: 'Standard_GRS',
        PRIVATE_NETWORKING: 'true',
        ADMIN_API_IDENTIFIER_URI_FORM: 'appId',
        ALERT_EMAIL: 'it@contoso.com',
      }),
    );
    expect(appSettingValues(full)).toMatchObject({ ACTIVATION_MODE: 'handover', RECONCILE_SCHEDULE: '0 30 3 * * *', DIRECTORY_SYNC_SCHEDULE: '0 */15 * * * *' });
    expect((full.module('storage').resource((r) => r.type === 'Microsoft.Storage/storageAccounts', 'account').get('sku') as JsonObject).name).toBe('Standard_GRS');
    expect(full.resources().some((r) => r.name.endsWith('-network'))).toBe(true);
  });

  it('names only azd values that docs/deploy.md documents', () => {
    const docs = readRepoFile('docs/deploy.md');
    const named = Object.values(parameters).flatMap(({ value }) => variablesOf(value));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((variable) => !docs.includes(`\`${variable}\``))).toEqual([]);
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

  it('installs one pinned Bicep in every job that compiles: the version the tests compile with', () => {
    const pinned = /^ {2}BICEP_VERSION: v(\d+\.\d+\.\d+)$/m.exec(workflow);
    expect(pinned?.[1]).toBe(BICEP_CLI_VERSION);
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
    const declared = Object.keys(declaredParameters);
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
    const rules = mainDeployment()
      .module('alerts')
      .resources()
      .filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules');
    const queries = rules.map((r) => asString((((r.get('properties') as JsonObject).criteria as JsonObject).allOf as JsonObject[])[0]!.query, 'query'));
    expect(queries.length).toBe(6);
    for (const text of queries) expect(docs.replace(/\\\|/g, '|')).toContain(text);
    expect(docs).toContain('starts with `LowStock`');
  });

  it('shows the command that compiles and lints the templates before azd up', () => {
    const section = docs.slice(docs.indexOf('### Compile the templates'), docs.indexOf('### Register the resource providers'));
    expect(section).toContain('npm run build:infra');
    expect(docs.indexOf('### Compile the templates')).toBeLessThan(docs.indexOf('## First deployment'));
    const scripts = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['build:infra']).toBe('tsx dev/build-infra.ts');
    // npm test compiles before jest runs, so these tests read the current template.
    expect(scripts.test).toMatch(/npm run build:infra && npm run test:jest$/);
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
