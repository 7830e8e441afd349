import { arrayItems, declaration, parseBicep, stringLiteral } from './bicep-text';

export interface GraphFeatures {
  temporaryAccessPass: boolean;
  lifecycleWorkflows: boolean;
  mail: boolean;
}

/**
 * The Graph application permissions infra/modules/graph-permissions.bicep grants for these features, read from
 * its text: `graphPermissions` is `concat()` of array vars, each always or `feature ? list : []`.
 */
export function graphGrants(features: GraphFeatures): string[] {
  const file = parseBicep('infra/modules/graph-permissions.bicep');
  const listOf = (name: string) =>
    arrayItems(declaration(file, 'var', name).value ?? '')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map(stringLiteral);
  const value = (declaration(file, 'var', 'graphPermissions').value ?? '').trim();
  const parts = /^concat\(([\s\S]*)\)$/.exec(value)?.[1]?.split(',').map((part) => part.trim());
  if (!parts) throw new Error(`graphPermissions is not a concat() of lists: ${value}`);
  return parts.flatMap((part) => {
    if (/^\w+$/.test(part)) return listOf(part);
    const conditional = /^(\w+) \? (\w+) : \[\]$/.exec(part);
    if (!conditional) throw new Error(`graphPermissions: cannot read ${part}`);
    const feature = conditional[1] as keyof GraphFeatures;
    if (!(feature in features)) throw new Error(`graphPermissions: unknown feature ${feature}`);
    return features[feature] ? listOf(conditional[2]!) : [];
  });
}
