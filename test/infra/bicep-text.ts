import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Just enough of Bicep to test infra/ without the Bicep compiler: comments, strings with
 * interpolation, top-level declarations, object/array literals, and an evaluator for the plain
 * expressions the templates use for names and app settings. Anything it does not understand makes
 * it throw, so a template change it cannot follow fails the tests instead of passing unchecked.
 */

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const INFRA_DIR = path.join(REPO_ROOT, 'infra');

export function readRepoFile(relativePath: string): string {
  return readFileSync(path.join(REPO_ROOT, relativePath), 'utf8');
}

const CLOSERS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index just after the string literal that starts at `start` (a `'`). */
export function skipString(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    const end = text.indexOf("'''", start + 3);
    if (end < 0) throw new Error(`unterminated ''' string at ${start}`);
    return end + 3;
  }
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === "'") return i + 1;
    else if (c === '$' && text[i + 1] === '{') i = skipInterpolation(text, i + 2);
    else i += 1;
  }
  throw new Error(`unterminated string at ${start}`);
}

/** Index just after the `}` that closes an interpolation whose expression starts at `start`. */
function skipInterpolation(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c === '{') depth += 1;
    if (c === '}') {
      if (depth === 0) return i + 1;
      depth -= 1;
    }
    i += 1;
  }
  throw new Error(`unterminated interpolation at ${start}`);
}

/** The text with every comment blanked out (same length, same line breaks), strings left intact. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
      i = end + 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

const isCloser = (c: string): boolean => c === '}' || c === ']' || c === ')';
const isBracket = (c: string): boolean => c in CLOSERS || isCloser(c);

/** Every character from `from` on that stands outside string literals, with the bracket depth after it. */
function* outsideStrings(text: string, from = 0): Generator<{ index: number; char: string; depth: number }> {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    const char = text[i] ?? '';
    if (char === "'") {
      i = skipString(text, i);
      continue;
    }
    if (char in CLOSERS) depth += 1;
    else if (isCloser(char)) depth -= 1;
    yield { index: i, char, depth };
    i += 1;
  }
}

/** Index of the bracket that closes the one at `open`, skipping strings. */
export function findClosing(text: string, open: number): number {
  const closer = CLOSERS[text[open] ?? ''];
  if (!closer) throw new Error(`no bracket at ${open}`);
  for (const { index, char, depth } of outsideStrings(text, open)) {
    if (depth === 0 && isCloser(char)) {
      if (char !== closer) throw new Error(`bracket at ${open} closed by ${char}`);
      return index;
    }
  }
  throw new Error(`bracket at ${open} never closes`);
}

/** Splits `text` where `isSeparator` holds at bracket depth 0 outside strings; trims and drops empty parts. */
function splitTopLevel(text: string, isSeparator: (c: string) => boolean): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const { index, char, depth } of outsideStrings(text)) {
    if (depth === 0 && !isBracket(char) && isSeparator(char)) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Position of `wanted` at depth 0 outside strings, or -1. */
function indexOfTopLevel(text: string, wanted: string, from = 0): number {
  for (const { index, char, depth } of outsideStrings(text, from)) {
    if (depth === 0 && char === wanted && !isBracket(char)) return index;
  }
  return -1;
}

export type DeclarationKind = 'param' | 'var' | 'output' | 'resource' | 'module' | 'extension' | 'targetScope';

export interface Declaration {
  kind: DeclarationKind;
  name: string;
  decorators: string[];
  /** param/output: the declared type. */
  type?: string;
  /** param: default expression; var/output: value expression. */
  value?: string;
  /** resource: 'Microsoft.X/y'; module: the module path. */
  resourceType?: string;
  apiVersion?: string;
  existing?: boolean;
  /** resource/module: what sits between `=` and the body (`if (...)`, `[for x in y:`). */
  prefix?: string;
  /** resource/module: the text of the body object, braces included. */
  body?: string;
}

export interface BicepFile {
  path: string;
  /** Comment-free text. */
  text: string;
  declarations: Declaration[];
}

function bodyOf(rest: string): { prefix: string; body: string } {
  const open = rest.indexOf('{');
  if (open < 0) throw new Error(`no body in: ${rest.slice(0, 80)}`);
  return { prefix: rest.slice(0, open).trim(), body: rest.slice(open, findClosing(rest, open) + 1) };
}

export function parseBicep(relativePath: string): BicepFile {
  const text = stripComments(readRepoFile(relativePath));
  const declarations: Declaration[] = [];
  let decorators: string[] = [];
  for (const statement of splitTopLevel(text, (c) => c === '\n')) {
    if (statement.startsWith('@')) {
      decorators.push(statement);
      continue;
    }
    const word = /^\w+/.exec(statement)?.[0];
    let declaration: Declaration | undefined;
    let m: RegExpExecArray | null;
    if (word === 'param' && (m = /^param\s+(\w+)\s+(\w+)(?:\s*=\s*([\s\S]+))?$/.exec(statement))) {
      declaration = { kind: 'param', name: m[1]!, type: m[2]!, decorators, ...(m[3] ? { value: m[3].trim() } : {}) };
    } else if (word === 'var' && (m = /^var\s+(\w+)\s*=\s*([\s\S]+)$/.exec(statement))) {
      declaration = { kind: 'var', name: m[1]!, value: m[2]!.trim(), decorators };
    } else if (word === 'output' && (m = /^output\s+(\w+)\s+(\w+)\s*=\s*([\s\S]+)$/.exec(statement))) {
      declaration = { kind: 'output', name: m[1]!, type: m[2]!, value: m[3]!.trim(), decorators };
    } else if (word === 'resource' && (m = /^resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s+(existing\s+)?=\s*([\s\S]+)$/.exec(statement))) {
      declaration = {
        kind: 'resource',
        name: m[1]!,
        resourceType: m[2]!,
        apiVersion: m[3]!,
        existing: m[4] !== undefined,
        decorators,
        ...bodyOf(m[5]!),
      };
    } else if (word === 'module' && (m = /^module\s+(\w+)\s+'([^']+)'\s*=\s*([\s\S]+)$/.exec(statement))) {
      declaration = { kind: 'module', name: m[1]!, resourceType: m[2]!, decorators, ...bodyOf(m[3]!) };
    } else if (word === 'extension' && (m = /^extension\s+(\S+)/.exec(statement))) {
      declaration = { kind: 'extension', name: m[1]!, decorators };
    } else if (word === 'targetScope' && (m = /^targetScope\s*=\s*'(\w+)'/.exec(statement))) {
      declaration = { kind: 'targetScope', name: m[1]!, decorators };
    }
    if (!declaration) throw new Error(`${relativePath}: cannot read statement: ${statement.slice(0, 120)}`);
    declarations.push(declaration);
    decorators = [];
  }
  return { path: relativePath, text, declarations };
}

export function declarationsOf(file: BicepFile, kind: DeclarationKind): Declaration[] {
  return file.declarations.filter((d) => d.kind === kind);
}

export function declaration(file: BicepFile, kind: DeclarationKind, name: string): Declaration {
  const found = file.declarations.find((d) => d.kind === kind && d.name === name);
  if (!found) throw new Error(`${file.path}: no ${kind} ${name}`);
  return found;
}

/** `key: value` pairs of an object literal (`{ ... }`), in order. Quoted keys come back unquoted. */
export function objectEntries(objectText: string): [string, string][] {
  const trimmed = objectText.trim();
  if (!trimmed.startsWith('{') || findClosing(trimmed, 0) !== trimmed.length - 1) {
    throw new Error(`not an object literal: ${trimmed.slice(0, 80)}`);
  }
  return splitTopLevel(trimmed.slice(1, -1), (c) => c === '\n' || c === ',').map((entry) => {
    const colon = indexOfTopLevel(entry, ':');
    if (colon < 0) throw new Error(`not a key: value entry: ${entry}`);
    const rawKey = entry.slice(0, colon).trim();
    const key = rawKey.startsWith("'") ? rawKey.slice(1, -1) : rawKey;
    return [key, entry.slice(colon + 1).trim()];
  });
}

export function objectEntry(objectText: string, key: string): string {
  const found = objectEntries(objectText).find(([k]) => k === key);
  if (!found) throw new Error(`no ${key} in ${objectText.slice(0, 80)}`);
  return found[1];
}

/** Follows a path of keys through nested object literals: property(body, 'properties', 'sku', 'name'). */
export function property(objectText: string, ...keys: string[]): string {
  return keys.reduce((current, key) => objectEntry(current, key), objectText);
}

/** Items of an array literal (`[ ... ]`), one per line or comma-separated. */
export function arrayItems(arrayText: string): string[] {
  const trimmed = arrayText.trim();
  if (!trimmed.startsWith('[') || findClosing(trimmed, 0) !== trimmed.length - 1) {
    throw new Error(`not an array literal: ${trimmed.slice(0, 80)}`);
  }
  return splitTopLevel(trimmed.slice(1, -1), (c) => c === '\n' || c === ',');
}

/** The value of a plain string literal (no interpolation). */
export function stringLiteral(text: string): string {
  const t = text.trim();
  if (!t.startsWith("'") || skipString(t, 0) !== t.length || t.includes('${')) {
    throw new Error(`not a plain string literal: ${t}`);
  }
  return t.slice(1, -1).replace(/\\(.)/g, '$1');
}

export interface Scope {
  file: BicepFile;
  /** Values for expressions the tests cannot compute (resource properties, deployment functions), by exact text. */
  known: Record<string, string>;
  /** Identifiers bound from outside, e.g. a module's params bound to what its caller passes. */
  bindings?: Record<string, () => string>;
}

function isWholeString(t: string): boolean {
  return t.startsWith("'") && skipString(t, 0) === t.length;
}

function isWholeCall(t: string, fn: string): boolean {
  return t.startsWith(`${fn}(`) && findClosing(t, fn.length) === t.length - 1;
}

function interpolate(literal: string, scope: Scope): string {
  if (literal.startsWith("'''")) return literal.slice(3, -3);
  const inner = literal.slice(1, -1);
  let out = '';
  let i = 0;
  while (i < inner.length) {
    const c = inner[i];
    if (c === '\\') {
      out += inner[i + 1] ?? '';
      i += 2;
    } else if (c === '$' && inner[i + 1] === '{') {
      const end = skipInterpolation(inner, i + 2);
      out += evaluate(inner.slice(i + 2, end - 1), scope);
      i = end;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * Evaluates an expression to a string: string literals with interpolation, numbers, booleans,
 * params (their defaults), vars, member access into object vars and loadJsonContent() vars,
 * `string()`, `toLower()`, `empty()`, `!empty()`, `contains(arrayVar, x)`, parentheses and
 * `cond ? a : b`. Everything else must be in `scope.known`.
 */
export function evaluate(expression: string, scope: Scope): string {
  const t = expression.trim();
  if (t in scope.known) return scope.known[t]!;
  if (isWholeString(t)) return interpolate(t, scope);
  if (/^-?\d+$/.test(t) || t === 'true' || t === 'false') return t;
  const question = indexOfTopLevel(t, '?');
  if (question > 0) {
    const colon = indexOfTopLevel(t, ':', question + 1);
    if (colon < 0) throw new Error(`bad conditional: ${t}`);
    const condition = evaluate(t.slice(0, question), scope);
    if (condition !== 'true' && condition !== 'false') throw new Error(`condition is not a bool: ${t}`);
    return evaluate(condition === 'true' ? t.slice(question + 1, colon) : t.slice(colon + 1), scope);
  }
  if (t.startsWith('(') && findClosing(t, 0) === t.length - 1) return evaluate(t.slice(1, -1), scope);
  if (t.startsWith('!') && isWholeCall(t.slice(1), 'empty')) return String(evaluate(t.slice('!empty('.length, -1), scope) !== '');
  if (isWholeCall(t, 'empty')) return String(evaluate(t.slice('empty('.length, -1), scope) === '');
  if (isWholeCall(t, 'contains')) {
    const [list, item] = splitTopLevel(t.slice('contains('.length, -1), (c) => c === ',');
    const items = arrayItems(scope.file.declarations.find((d) => d.kind === 'var' && d.name === list?.trim())?.value ?? '');
    if (items.length === 0 || item === undefined) throw new Error(`${scope.file.path}: contains() needs an array var: ${t}`);
    return String(items.map((i) => evaluate(i, scope)).includes(evaluate(item, scope)));
  }
  if (isWholeCall(t, 'string')) return evaluate(t.slice('string('.length, -1), scope);
  if (isWholeCall(t, 'toLower')) return evaluate(t.slice('toLower('.length, -1), scope).toLowerCase();
  if (/^\w+$/.test(t)) {
    const bound = scope.bindings?.[t];
    if (bound) return bound();
    const found = scope.file.declarations.find((d) => (d.kind === 'param' || d.kind === 'var') && d.name === t);
    if (found?.value !== undefined) return evaluate(found.value, scope);
    throw new Error(`${scope.file.path}: no value for ${t}`);
  }
  const member = /^(\w+)\.(\w+)$/.exec(t);
  if (member) {
    const holder = scope.file.declarations.find((d) => d.kind === 'var' && d.name === member[1]);
    const value = holder?.value;
    if (value?.startsWith('{')) return evaluate(objectEntry(value, member[2]!), scope);
    const json = value ? /^loadJsonContent\('([^']+)'\)$/.exec(value) : null;
    if (json) {
      const data = JSON.parse(readRepoFile(path.join(path.dirname(scope.file.path), json[1]!))) as Record<string, unknown>;
      const field = data[member[2]!];
      if (typeof field !== 'string') throw new Error(`${json[1]} has no string ${member[2]}`);
      return field;
    }
  }
  throw new Error(`${scope.file.path}: cannot evaluate ${t}`);
}
