/**
 * Route templates in the Functions host's (ASP.NET) syntax: `tokens/{serial}`, optional `{name?}`,
 * defaults `{name=value}`, catch-all `{*rest}`, and the common inline constraints (`{id:int}`,
 * `{code:length(6)}`, ...). Literal segments match case-insensitively, as in the host.
 */

export interface CompiledRoute {
  template: string;
  /** Route parameters when `path` (below the route prefix, e.g. `/tokens/abc`) matches, else undefined. */
  match(path: string): Record<string, string> | undefined;
  /** Per-segment specificity (lower is more specific), used to order routes like the host does. */
  precedence: number[];
}

type Constraint = (value: string) => boolean;

interface Parameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: Constraint[];
}

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function guidLike(value: string): boolean {
  const bare = value.startsWith('{') && value.endsWith('}') ? value.slice(1, -1) : value;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(bare);
}

function numbers(args: string): number[] {
  return args.split(',').map((part) => Number(part.trim()));
}

/** The host's inline constraints; an unknown one is ignored (the host would refuse to start). */
function constraintFrom(name: string, args: string | undefined): Constraint | undefined {
  switch (name.toLowerCase()) {
    case 'int':
    case 'long':
      return (v) => INTEGER.test(v);
    case 'double':
    case 'decimal':
    case 'float':
      return (v) => NUMBER.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return guidLike;
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'minlength': {
      const [min = 0] = numbers(args ?? '');
      return (v) => v.length >= min;
    }
    case 'maxlength': {
      const [max = Infinity] = numbers(args ?? '');
      return (v) => v.length <= max;
    }
    case 'length': {
      const [min = 0, max = min] = numbers(args ?? '');
      return (v) => v.length >= min && v.length <= max;
    }
    case 'min': {
      const [min = -Infinity] = numbers(args ?? '');
      return (v) => INTEGER.test(v) && Number(v) >= min;
    }
    case 'max': {
      const [max = Infinity] = numbers(args ?? '');
      return (v) => INTEGER.test(v) && Number(v) <= max;
    }
    case 'range': {
      const [min = -Infinity, max = Infinity] = numbers(args ?? '');
      return (v) => INTEGER.test(v) && Number(v) >= min && Number(v) <= max;
    }
    case 'regex': {
      const pattern = new RegExp(args ?? '', 'i');
      return (v) => pattern.test(v);
    }
    default:
      return undefined;
  }
}

/** Splits `name:c1:c2(args)?` at top-level colons (constraint arguments may hold colons). */
function splitConstraints(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function parameterFrom(inner: string, template: string): Parameter {
  const catchAll = inner.startsWith('*');
  let body = inner.replace(/^\*{1,2}/, '');
  let defaultValue: string | undefined;
  let optional = false;
  const equals = body.indexOf('=');
  if (equals >= 0 && !body.slice(0, equals).includes('(')) {
    defaultValue = body.slice(equals + 1);
    body = body.slice(0, equals);
  }
  if (body.endsWith('?')) {
    optional = true;
    body = body.slice(0, -1);
  }
  const [name = '', ...constraintTexts] = splitConstraints(body);
  if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new Error(`route "${template}": "{${inner}}" is not a route parameter`);
  const constraints: Constraint[] = [];
  for (const text of constraintTexts) {
    const parsed = /^(\w+)(?:\((.*)\))?$/s.exec(text);
    if (!parsed?.[1]) throw new Error(`route "${template}": constraint "${text}" of {${name}} is malformed`);
    const constraint = constraintFrom(parsed[1], parsed[2]);
    if (constraint) constraints.push(constraint);
  }
  return { name, optional: optional || defaultValue !== undefined, catchAll, defaultValue, constraints };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Compiles a route template; throws a plain Error for syntax the host would reject too. */
export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  const parameters: Parameter[] = [];
  const precedence: number[] = [];
  let pattern = '^';

  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    const whole = /^\{([^{}]+)\}$/.exec(segment);
    if (whole?.[1]) {
      const parameter = parameterFrom(whole[1], template);
      parameters.push(parameter);
      if (parameter.catchAll) {
        if (!last) throw new Error(`route "${template}": a catch-all parameter must be the last segment`);
        pattern += '(?:/(.*))?';
        precedence.push(5);
      } else if (parameter.optional) {
        if (!last) throw new Error(`route "${template}": only the last segment may be optional`);
        pattern += '(?:/([^/]+))?';
        precedence.push(4);
      } else {
        pattern += '/([^/]+)';
        precedence.push(parameter.constraints.length > 0 ? 2 : 3);
      }
      return;
    }
    // A segment of literals, possibly mixed with parameters (`{name}.{ext}`).
    let segmentPattern = '';
    let rest = segment;
    let hasParameter = false;
    while (rest.length > 0) {
      const open = rest.indexOf('{');
      if (open < 0) {
        if (rest.includes('}')) throw new Error(`route "${template}": unbalanced braces in "${segment}"`);
        segmentPattern += escapeRegExp(rest);
        break;
      }
      const literal = rest.slice(0, open);
      if (literal.includes('}')) throw new Error(`route "${template}": unbalanced braces in "${segment}"`);
      segmentPattern += escapeRegExp(literal);
      const close = rest.indexOf('}', open);
      if (close < 0) throw new Error(`route "${template}": unbalanced braces in "${segment}"`);
      const parameter = parameterFrom(rest.slice(open + 1, close), template);
      if (parameter.catchAll || parameter.optional) {
        throw new Error(`route "${template}": "${segment}" mixes text with an optional or catch-all parameter`);
      }
      parameters.push(parameter);
      // Greedy, so the text after the last literal goes to the last parameter (ASP.NET matches right to left).
      segmentPattern += '([^/]+)';
      hasParameter = true;
      rest = rest.slice(close + 1);
    }
    if (segmentPattern === '') throw new Error(`route "${template}": empty segment`);
    pattern += `/${segmentPattern}`;
    precedence.push(hasParameter ? 1 : 0);
  });

  const regex = new RegExp(`${pattern}/?$`, 'i');
  return {
    template: trimmed,
    precedence,
    match(path) {
      const found = regex.exec(path);
      if (!found) return undefined;
      const params: Record<string, string> = {};
      for (const [index, parameter] of parameters.entries()) {
        const raw = found[index + 1];
        if (raw === undefined || raw === '') {
          if (parameter.defaultValue !== undefined) params[parameter.name] = parameter.defaultValue;
          continue;
        }
        const value = decode(raw);
        if (value === undefined || !parameter.constraints.every((satisfied) => satisfied(value))) return undefined;
        params[parameter.name] = value;
      }
      return params;
    },
  };
}

/** Orders routes the way the host picks among overlapping ones: literals before parameters before catch-alls. */
export function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.min(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const difference = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.precedence.length - b.precedence.length;
}
