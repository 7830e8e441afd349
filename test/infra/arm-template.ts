import { createHash } from 'node:crypto';

/**
 * Enough of Azure Resource Manager to read the template `npm run build:infra` compiles: the template
 * expression language (the functions the compiled template uses, nothing more), copy loops, and nested
 * module deployments evaluated with the parameters their parent passes. What only Azure can know (a new
 * identity's client id, a storage account's endpoints) comes from a `Runtime` the caller gives. An
 * expression or function it does not know makes it throw, so a template it cannot follow fails the tests.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

type Expr =
  | { kind: 'literal'; value: Json }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'member'; target: Expr; name: string }
  | { kind: 'index'; target: Expr; index: Expr };

interface Lambda {
  lambda: true;
  params: string[];
  body: Expr;
  scope: Scope;
}

type Value = Json | Lambda;

function isLambda(value: Value | undefined): value is Lambda {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { lambda?: unknown }).lambda === true;
}

function asJson(value: Value): Json {
  if (isLambda(value)) throw new Error('a lambda where a value is needed');
  return value;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// Parsing

/** An ARM expression string ("[...]"); "[[" starts a literal that begins with "[". */
export function isExpression(value: Json): boolean {
  return typeof value === 'string' && value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

/** A value that must be a string (a name, an id, a query), else a clear error. */
export function asString(value: Json | undefined, what = 'value'): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string: ${JSON.stringify(value)}`);
  return value;
}

export function parseExpression(text: string): Expr {
  let i = 0;
  const skip = () => {
    while (/\s/.test(text[i] ?? '')) i += 1;
  };
  const expect = (c: string) => {
    skip();
    if (text[i] !== c) throw new Error(`expected ${c} at ${i} in ${text}`);
    i += 1;
  };
  const primary = (): Expr => {
    skip();
    const c = text[i] ?? '';
    if (c === "'") {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated string in ${text}`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += text[i];
        i += 1;
      }
      return { kind: 'literal', value };
    }
    const number = /^-?\d+/.exec(text.slice(i));
    if (number) {
      i += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const name = /^[A-Za-z_][\w.]*?(?=\s*\()/.exec(text.slice(i));
    if (!name) throw new Error(`cannot read ${text.slice(i)} in ${text}`);
    i += name[0].length;
    expect('(');
    const args: Expr[] = [];
    skip();
    if (text[i] === ')') i += 1;
    else {
      for (;;) {
        args.push(postfix());
        skip();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        expect(')');
        break;
      }
    }
    return { kind: 'call', name: name[0].toLowerCase(), args };
  };
  const postfix = (): Expr => {
    let expr = primary();
    for (;;) {
      skip();
      if (text[i] === '.') {
        i += 1;
        const member = /^[\w$#]+/.exec(text.slice(i));
        if (!member) throw new Error(`bad member access at ${i} in ${text}`);
        i += member[0].length;
        expr = { kind: 'member', target: expr, name: member[0] };
      } else if (text[i] === '[') {
        i += 1;
        const index = postfix();
        expect(']');
        expr = { kind: 'index', target: expr, index };
      } else return expr;
    }
  };
  const expr = postfix();
  skip();
  if (i !== text.length) throw new Error(`trailing text at ${i} in ${text}`);
  return expr;
}

/** The function an expression string calls at its top, and its arguments evaluated in `scope`: guid(a, b, c) -> a, b, c. */
export function callArguments(expression: string, scope: Scope): { name: string; values: Json[] } {
  if (!isExpression(expression)) throw new Error(`not an expression: ${expression}`);
  const expr = parseExpression(expression.slice(1, -1));
  if (expr.kind !== 'call') throw new Error(`not a function call: ${expression}`);
  return { name: expr.name, values: expr.args.map((arg) => asJson(evaluateExpr(arg, scope))) };
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

/** The cloud the sample deploys to: Azure's global cloud, as environment() answers there. */
export const AZURE_CLOUD = {
  name: 'AzureCloud',
  resourceManager: 'https://management.azure.com/',
  authentication: { loginEndpoint: 'https://login.microsoftonline.com/', audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'] },
  suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' },
} satisfies JsonObject;

export interface World {
  tenantId: string;
  subscriptionId: string;
  deploymentName: string;
  deployerObjectId: string;
  environment: JsonObject;
}

/** What Azure computes for a resource: the object reference() answers for it. */
export type Runtime = (type: string, name: string, properties: () => JsonObject, id: string) => JsonObject;

/** Stand-in for ARM's uniqueString(): 13 characters of the same alphabet (a-z, 2-7), from a different hash. */
export function uniqueStringStandIn(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from({ length: 13 }, (_, k) => alphabet[digest[k]! % 32]).join('');
}

/** Stand-in for ARM's guid(): deterministic over its arguments, formatted as a GUID. */
export function guidStandIn(...parts: string[]): string {
  const hex = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function format(template: string, args: Json[]): string {
  return template.replace(/\{\{|\}\}|\{(\d+)(:[^}]*)?\}/g, (match, index: string | undefined, spec: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    if (spec) throw new Error(`format specifier ${spec} not supported`);
    return text(args[Number(index)] ?? null);
  });
}

/** ARM's string(): strings as they are, bools as True/False, everything else as JSON. */
function text(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

function isEmpty(value: Json): boolean {
  if (value === null) return true;
  if (typeof value === 'string' || Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  throw new Error(`empty() of ${JSON.stringify(value)}`);
}

/** equals(), contains() and allowedValues compare exactly (Bicep's case-insensitive =~ compiles to toLower() on both sides). */
function equal(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Everything an expression may read. */
export class Scope {
  private readonly variableCache = new Map<string, Json>();

  constructor(
    readonly deployment: Deployment,
    readonly lambdaVariables: Record<string, Json> = {},
    readonly copyIndexes: Record<string, number> = {},
  ) {}

  with(lambdaVariables: Record<string, Json>): Scope {
    return new Scope(this.deployment, { ...this.lambdaVariables, ...lambdaVariables }, this.copyIndexes);
  }

  inLoop(loop: string, index: number): Scope {
    return new Scope(this.deployment, this.lambdaVariables, { ...this.copyIndexes, [loop]: index, '': index });
  }

  variable(name: string): Json {
    if (!this.variableCache.has(name)) {
      const raw = this.deployment.template.variables;
      if (!isObject(raw) || !(name in raw)) throw new Error(`no variable ${name}`);
      this.variableCache.set(name, evaluateJson(raw[name]!, new Scope(this.deployment)));
    }
    return this.variableCache.get(name)!;
  }
}

function evaluateExpr(expr: Expr, scope: Scope): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'member': {
      const target = asJson(evaluateExpr(expr.target, scope));
      if (!isObject(target)) throw new Error(`.${expr.name} of ${JSON.stringify(target)}`);
      const key = Object.keys(target).find((k) => k.toLowerCase() === expr.name.toLowerCase());
      if (key === undefined) throw new Error(`no property ${expr.name} in ${JSON.stringify(target).slice(0, 200)}`);
      return target[key]!;
    }
    case 'index': {
      const target = asJson(evaluateExpr(expr.target, scope));
      const index = asJson(evaluateExpr(expr.index, scope));
      if (Array.isArray(target) && typeof index === 'number') {
        if (index >= target.length) throw new Error(`index ${index} out of range`);
        return target[index]!;
      }
      if (isObject(target) && typeof index === 'string') {
        const key = Object.keys(target).find((k) => k.toLowerCase() === index.toLowerCase());
        if (key === undefined) throw new Error(`no property ${index}`);
        return target[key]!;
      }
      throw new Error(`cannot index ${JSON.stringify(target).slice(0, 80)} with ${JSON.stringify(index)}`);
    }
    case 'call':
      return call(expr.name, expr.args, scope);
  }
}

function call(name: string, argExprs: Expr[], scope: Scope): Value {
  // Lazy ones first: if() evaluates only the branch taken, as ARM does.
  if (name === 'if') {
    const [condition, whenTrue, whenFalse] = argExprs;
    const test = asJson(evaluateExpr(condition!, scope));
    if (typeof test !== 'boolean') throw new Error(`if() condition is ${JSON.stringify(test)}`);
    return evaluateExpr(test ? whenTrue! : whenFalse!, scope);
  }
  if (name === 'lambda') {
    const params = argExprs.slice(0, -1).map((p) => {
      if (p.kind !== 'literal' || typeof p.value !== 'string') throw new Error('lambda parameter is not a name');
      return p.value;
    });
    return { lambda: true, params, body: argExprs[argExprs.length - 1]!, scope };
  }
  const raw = argExprs.map((a) => evaluateExpr(a, scope));
  const args = () => raw.map(asJson);
  const str = (k: number): string => {
    const v = raw[k];
    if (typeof v !== 'string') throw new Error(`${name}() argument ${k} is not a string: ${JSON.stringify(v)}`);
    return v;
  };
  const arr = (k: number): Json[] => {
    const v = raw[k];
    if (!Array.isArray(v)) throw new Error(`${name}() argument ${k} is not an array`);
    return v;
  };
  const fn = (k: number): Lambda => {
    const v = raw[k];
    if (!isLambda(v)) throw new Error(`${name}() argument ${k} is not a lambda`);
    return v;
  };
  const apply = (f: Lambda, ...values: Json[]): Json =>
    asJson(evaluateExpr(f.body, f.scope.with(Object.fromEntries(f.params.map((p, k) => [p, values[k] ?? null])))));
  const d = scope.deployment;
  switch (name) {
    case 'parameters':
      return d.parameter(str(0));
    case 'variables':
      return scope.variable(str(0));
    case 'lambdavariables': {
      const v = scope.lambdaVariables[str(0)];
      if (v === undefined) throw new Error(`no lambda variable ${str(0)}`);
      return v;
    }
    case 'copyindex': {
      const loop = typeof raw[0] === 'string' ? raw[0] : '';
      const offset = typeof raw[0] === 'number' ? raw[0] : typeof raw[1] === 'number' ? raw[1] : 0;
      const index = scope.copyIndexes[loop];
      if (index === undefined) throw new Error(`copyIndex(${loop}) outside its loop`);
      return index + offset;
    }
    case 'format':
      return format(str(0), args().slice(1));
    case 'concat':
      return raw.every((v) => Array.isArray(v)) ? (raw as Json[][]).flat() : args().map(text).join('');
    case 'string':
      return text(args()[0]!);
    case 'tolower':
      return str(0).toLowerCase();
    case 'toupper':
      return str(0).toUpperCase();
    case 'replace':
      return str(0).split(str(1)).join(str(2));
    case 'split':
      return str(0).split(str(1));
    case 'length': {
      const v = args()[0]!;
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (isObject(v)) return Object.keys(v).length;
      throw new Error('length() of a scalar');
    }
    case 'empty':
      return isEmpty(args()[0]!);
    case 'not': {
      const v = args()[0];
      if (typeof v !== 'boolean') throw new Error('not() of a non-bool');
      return !v;
    }
    case 'and':
      return args().every((v) => v === true);
    case 'or':
      return args().some((v) => v === true);
    case 'equals':
      return equal(args()[0]!, args()[1]!);
    case 'contains': {
      const [container, item] = args();
      if (typeof container === 'string') return container.includes(text(item!));
      if (Array.isArray(container)) return container.some((v) => equal(v, item!));
      if (isObject(container)) return Object.keys(container).some((k) => k.toLowerCase() === text(item!).toLowerCase());
      throw new Error('contains() of a scalar');
    }
    case 'null':
      return null;
    case 'true':
      return true;
    case 'false':
      return false;
    case 'createarray':
      return args();
    case 'createobject': {
      const values = args();
      const out: JsonObject = {};
      for (let k = 0; k < values.length; k += 2) out[text(values[k]!)] = values[k + 1]!;
      return out;
    }
    case 'union': {
      const values = args();
      if (values.every(isObject)) return Object.assign({}, ...values) as JsonObject;
      if (values.every(Array.isArray)) return [...new Set(values.flat().map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as Json);
      throw new Error('union() of mixed values');
    }
    case 'flatten':
      return arr(0).flatMap((v) => {
        if (!Array.isArray(v)) throw new Error('flatten() of a non-array item');
        return v;
      });
    case 'map':
      return arr(0).map((v, k) => apply(fn(1), v, k));
    case 'filter':
      return arr(0).filter((v, k) => apply(fn(1), v, k) === true);
    case 'first':
      return Array.isArray(raw[0]) ? (arr(0)[0] ?? null) : str(0).slice(0, 1);
    case 'uniquestring':
      return uniqueStringStandIn(...args().map(text));
    case 'guid':
      return guidStandIn(...args().map(text));
    case 'tenant':
      return { tenantId: d.world.tenantId };
    case 'subscription':
      return { id: `/subscriptions/${d.world.subscriptionId}`, subscriptionId: d.world.subscriptionId, tenantId: d.world.tenantId };
    case 'resourcegroup': {
      if (!d.resourceGroup) throw new Error('resourceGroup() at subscription scope');
      return { id: `/subscriptions/${d.world.subscriptionId}/resourceGroups/${d.resourceGroup}`, name: d.resourceGroup, location: d.location ?? null };
    }
    case 'deployment':
      return { name: d.name };
    case 'deployer':
      return { objectId: d.world.deployerObjectId, tenantId: d.world.tenantId };
    case 'environment':
      return d.world.environment;
    case 'resourceid':
      return d.resourceId(args().map(text));
    case 'subscriptionresourceid': {
      const values = args().map(text);
      const [type, ...names] = values.length > 0 && values[0]!.includes('/') ? values : values.slice(1);
      return `/subscriptions/${d.world.subscriptionId}${providerPath(type!, names)}`;
    }
    case 'extensionresourceid': {
      const [scopeId, type, ...names] = args().map(text);
      return `${scopeId!}${providerPath(type!, names)}`;
    }
    case 'reference':
      return d.reference(text(args()[0]!));
    default:
      throw new Error(`function ${name}() is not known to test/infra/arm-template.ts`);
  }
}

function providerPath(type: string, names: string[]): string {
  const [namespace, ...types] = type.split('/');
  if (types.length !== names.length) throw new Error(`${type} needs ${types.length} names, got ${names.join('/')}`);
  return `/providers/${namespace!}${types.map((t, k) => `/${t}/${names[k]!}`).join('')}`;
}

/** Evaluates every expression in a JSON value, expanding property copy loops. */
export function evaluateJson(value: Json, scope: Scope): Json {
  if (typeof value === 'string') {
    if (isExpression(value)) return asJson(evaluateExpr(parseExpression(value.slice(1, -1)), scope));
    return value.startsWith('[[') ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluateJson(v, scope));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'copy' && Array.isArray(v)) {
      for (const loop of v) {
        if (!isObject(loop)) throw new Error('bad property copy');
        const count = evaluateJson(loop.count ?? null, scope);
        if (typeof count !== 'number') throw new Error('copy count is not a number');
        const loopName = asString(loop.name, 'copy name');
        out[loopName] = Array.from({ length: count }, (_, k) => evaluateJson(loop.input ?? null, scope.inLoop(loopName, k)));
      }
      continue;
    }
    // ARM evaluates property names too (userAssignedIdentities keys are resource ids).
    out[isExpression(key) ? text(evaluateJson(key, scope)) : key] = evaluateJson(v, scope);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Deployments

export interface Resource {
  /** The symbolic name (languageVersion 2.0 templates), else the position in `resources`. */
  symbol: string;
  type: string;
  apiVersion: string;
  name: string;
  /** Resource id as resourceId() forms it. */
  id: string;
  existing: boolean;
  /** The copy loop's index, for a resource made by one. */
  index?: number;
  /** The compiled JSON of the resource, expressions unevaluated. */
  raw: JsonObject;
  scope: Scope;
  /** Evaluates one of the resource's top-level entries (properties, scope, location, ...). */
  get(key: string): Json;
}

export class Deployment {
  private readonly parameterValues: JsonObject;
  private resourceList?: Resource[];
  private readonly modules = new Map<string, Deployment>();

  constructor(
    readonly template: JsonObject,
    parameters: JsonObject,
    readonly world: World,
    readonly runtime: Runtime,
    readonly name: string,
    readonly resourceGroup?: string,
    readonly location?: string,
  ) {
    const declared = isObject(template.parameters) ? template.parameters : {};
    for (const key of Object.keys(parameters)) if (!(key in declared)) throw new Error(`parameter ${key} is not declared`);
    const values: JsonObject = {};
    for (const [key, declaration] of Object.entries(declared)) {
      if (!isObject(declaration)) continue;
      if (key in parameters) values[key] = parameters[key]!;
      else if ('defaultValue' in declaration) values[key] = evaluateJson(declaration.defaultValue, new Scope(this));
      else throw new Error(`parameter ${key} has no value and no default`);
      const allowed = declaration.allowedValues;
      if (Array.isArray(allowed) && !allowed.some((a) => equal(a, values[key]!))) throw new Error(`parameter ${key}: ${JSON.stringify(values[key])} is not allowed`);
    }
    this.parameterValues = values;
  }

  parameter(name: string): Json {
    if (!(name in this.parameterValues)) throw new Error(`no parameter ${name}`);
    return this.parameterValues[name]!;
  }

  resourceId(values: string[]): string {
    const typeAt = values.findIndex((v) => v.includes('/'));
    if (typeAt < 0) throw new Error(`resourceId() without a type: ${values.join(', ')}`);
    const before = values.slice(0, typeAt);
    const subscriptionId = before.length === 2 ? before[0]! : this.world.subscriptionId;
    const group = before.length >= 1 ? before[before.length - 1] : this.resourceGroup;
    const type = values[typeAt]!;
    const names = values.slice(typeAt + 1);
    if (type === 'Microsoft.Resources/resourceGroups' && !group) return `/subscriptions/${subscriptionId}/resourceGroups/${names[0]!}`;
    return `/subscriptions/${subscriptionId}${group ? `/resourceGroups/${group}` : ''}${providerPath(type, names)}`;
  }

  /** Every resource whose condition holds, copy loops expanded. */
  resources(): Resource[] {
    if (this.resourceList) return this.resourceList;
    const raw = this.template.resources;
    const entries: [string, Json][] = Array.isArray(raw) ? raw.map((r, k) => [String(k), r]) : isObject(raw) ? Object.entries(raw) : [];
    const list: Resource[] = [];
    for (const [symbol, resource] of entries) {
      if (!isObject(resource)) throw new Error(`resource ${symbol} is not an object`);
      const copy = isObject(resource.copy) ? resource.copy : undefined;
      const count = copy ? evaluateJson(copy.count ?? null, new Scope(this)) : 1;
      if (typeof count !== 'number') throw new Error(`resource ${symbol}: copy count is not a number`);
      for (let k = 0; k < count; k += 1) {
        const scope = copy ? new Scope(this).inLoop(asString(copy.name, 'copy name'), k) : new Scope(this);
        if ('condition' in resource && evaluateJson(resource.condition, scope) !== true) continue;
        list.push(this.makeResource(symbol, resource, scope, copy ? k : undefined));
      }
    }
    this.resourceList = list;
    return list;
  }

  private makeResource(symbol: string, raw: JsonObject, scope: Scope, index: number | undefined): Resource {
    const [type, apiVersion] = asString(raw.type, 'resource type').split('@');
    const name = raw.name === undefined ? '' : text(evaluateJson(raw.name, scope));
    const nameParts = name.split('/');
    const group = raw.resourceGroup === undefined ? undefined : text(evaluateJson(raw.resourceGroup, scope));
    const isGraph = type!.startsWith('Microsoft.Graph/');
    const id = isGraph ? `graph:${symbol}` : group ? this.resourceId([group, type!, ...nameParts]) : this.resourceId([type!, ...nameParts]);
    const cache = new Map<string, Json>();
    return {
      symbol,
      type: type!,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : (apiVersion ?? ''),
      name,
      id,
      existing: raw.existing === true,
      ...(index === undefined ? {} : { index }),
      raw,
      scope,
      get: (key: string) => {
        if (!cache.has(key)) cache.set(key, raw[key] === undefined ? null : evaluateJson(raw[key], scope));
        return cache.get(key)!;
      },
    };
  }

  resource(predicate: (r: Resource) => boolean, what: string): Resource {
    const found = this.resources().filter(predicate);
    if (found.length !== 1) throw new Error(`${found.length} resources match ${what}`);
    return found[0]!;
  }

  /** The nested deployment of a module, by its symbol's deployment name suffix (e.g. 'function-app'). */
  module(suffix: string): Deployment {
    const resource = this.resource((r) => r.type === 'Microsoft.Resources/deployments' && r.name.endsWith(`-${suffix}`), `module ${suffix}`);
    return this.nested(resource);
  }

  nested(resource: Resource): Deployment {
    const cached = this.modules.get(resource.id);
    if (cached) return cached;
    const properties = resource.raw.properties;
    if (!isObject(properties) || !isObject(properties.template)) throw new Error(`${resource.name} has no nested template`);
    const options = properties.expressionEvaluationOptions;
    if (!isObject(options) || options.scope !== 'inner') throw new Error(`${resource.name} does not evaluate in its inner scope`);
    const passed: JsonObject = {};
    for (const [key, entry] of Object.entries(isObject(properties.parameters) ? properties.parameters : {})) {
      const evaluated = evaluateJson(entry, resource.scope);
      if (!isObject(evaluated) || !('value' in evaluated)) throw new Error(`module parameter ${key} has no value`);
      passed[key] = evaluated.value!;
    }
    const group = resource.raw.resourceGroup === undefined ? this.resourceGroup : text(evaluateJson(resource.raw.resourceGroup, resource.scope));
    const location = typeof passed.location === 'string' ? passed.location : this.location;
    const nested = new Deployment(properties.template, passed, this.world, this.runtime, resource.name, group, location);
    this.modules.set(resource.id, nested);
    return nested;
  }

  outputs(): JsonObject {
    const outputs = isObject(this.template.outputs) ? this.template.outputs : {};
    return Object.fromEntries(
      Object.entries(outputs).map(([key, output]) => {
        if (!isObject(output)) throw new Error(`output ${key} is not an object`);
        const copy = output.copy;
        if (isObject(copy)) {
          const count = evaluateJson(copy.count ?? null, new Scope(this));
          if (typeof count !== 'number') throw new Error(`output ${key}: copy count is not a number`);
          return [key, Array.from({ length: count }, (_, k) => evaluateJson(copy.input ?? null, new Scope(this).inLoop('', k)))];
        }
        return [key, evaluateJson(output.value ?? null, new Scope(this))];
      }),
    );
  }

  /** reference(): a module deployment's outputs, or what Azure computes for a resource (this.runtime). */
  reference(target: string): JsonObject {
    const resources = this.resources();
    const byId = resources.find((r) => r.id.toLowerCase() === target.toLowerCase() || r.symbol === target);
    if (byId?.type === 'Microsoft.Resources/deployments') {
      const outputs = this.nested(byId).outputs();
      return { outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: v }])) };
    }
    if (byId) {
      return this.runtime(
        byId.type,
        byId.name || byId.symbol,
        () => {
          const p = byId.get('properties');
          return isObject(p) ? p : {};
        },
        byId.id,
      );
    }
    // An existing resource the compiled template does not list: its type and name are in the id.
    const m = /\/providers\/([^/]+)\/(.+)$/.exec(target);
    if (!m) throw new Error(`reference() to unknown ${target}`);
    const segments = m[2]!.split('/');
    const types = segments.filter((_, k) => k % 2 === 0);
    const names = segments.filter((_, k) => k % 2 === 1);
    return this.runtime(`${m[1]!}/${types.join('/')}`, names.join('/'), () => ({}), target);
  }
}
