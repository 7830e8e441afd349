import { AZURE_CLOUD, Deployment, evaluateJson, Scope, uniqueStringStandIn, type Json, type JsonObject } from './arm-template';

/** The evaluator the infra tests read the compiled template with, on templates small enough to check by hand. */
function evaluate(value: Json, template: JsonObject = {}, parameters: JsonObject = {}): Json {
  const world = { tenantId: 't', subscriptionId: 's', deploymentName: 'd', deployerObjectId: 'o', environment: AZURE_CLOUD };
  const deployment = new Deployment(template, parameters, world, () => {
    throw new Error('no runtime');
  }, 'd', 'rg', 'westeurope');
  return evaluateJson(value, new Scope(deployment));
}

describe('ARM template evaluator', () => {
  it('reads string literals with doubled quotes, escaped brackets and format() braces', () => {
    expect(evaluate("[format('{0}''s {{x}} {1}', 'it', 2)]")).toBe("it's {x} 2");
    expect(evaluate('[[not an expression]')).toBe('[not an expression]');
    expect(evaluate("[concat('a', 'b')]")).toBe('ab');
  });

  it('evaluates if() lazily, as ARM does, so the branch not taken may reference what does not exist', () => {
    expect(evaluate("[if(equals(1, 1), 'yes', reference('missing').x)]")).toBe('yes');
  });

  it('reads parameters with their defaults and refuses values outside allowedValues', () => {
    const template = { parameters: { a: { type: 'string', defaultValue: "[toLower('X')]", allowedValues: ['x', 'y'] } } };
    expect(evaluate("[parameters('a')]", template)).toBe('x');
    expect(() => evaluate("[parameters('a')]", template, { a: 'z' })).toThrow(/not allowed/);
  });

  it('runs lambdas and copy loops', () => {
    expect(evaluate("[flatten(map(createArray('q', 'r'), lambda('n', createArray(lambdaVariables('n'), format('{0}-poison', lambdaVariables('n'))))))]")).toEqual(['q', 'q-poison', 'r', 'r-poison']);
    expect(evaluate({ copy: [{ name: 'xs', count: 2, input: "[copyIndex('xs', 1)]" }] })).toEqual({ xs: [1, 2] });
  });

  it('forms resource ids in the resource group and stands in for uniqueString() with its alphabet and length', () => {
    expect(evaluate("[resourceId('Microsoft.Web/sites/config', 'app', 'appsettings')]")).toBe('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/appsettings');
    expect(uniqueStringStandIn('a', 'b')).toMatch(/^[a-z2-7]{13}$/);
    expect(uniqueStringStandIn('a', 'b')).not.toBe(uniqueStringStandIn('a', 'c'));
  });

  it('refuses a function it does not know rather than guessing', () => {
    expect(() => evaluate("[listKeys('x', '2023-01-01')]")).toThrow(/listkeys\(\) is not known/);
  });
});
