/**
 * Validation of a mapping before it is saved or compiled: every problem that would make it
 * fail on any record, each reported against its field, so that one pass lists them all.
 */
import { isCdmEntity, type CustomField } from '../entities.ts';
import { compileExpression, expressionError } from './expressions.ts';
import { entityFields, lookupField } from './fields.ts';
import { parseTarget } from './targets.ts';
import { MAPPING_DIRECTIONS, type FieldError, type Mapping } from './types.ts';

/**
 * Every problem that would make the mapping fail on any record: an unknown entity or direction,
 * a JSONata syntax error, a target path the entity does not have (for `to_canonical`), array
 * fields without their `[]` source. Empty when the mapping can be saved.
 */
export function validateMapping({
  mapping,
  customFields,
}: {
  mapping: Mapping;
  customFields?: readonly CustomField[];
}): FieldError[] {
  const errors: FieldError[] = [];
  if (!isCdmEntity(mapping.entity)) {
    return [{ field: '', expression: '', message: `unknown entity "${String(mapping.entity)}"` }];
  }
  if (!(MAPPING_DIRECTIONS as readonly string[]).includes(mapping.direction)) {
    return [
      {
        field: '',
        expression: '',
        message: `direction must be one of ${MAPPING_DIRECTIONS.join(', ')}`,
      },
    ];
  }
  const known =
    mapping.direction === 'to_canonical'
      ? entityFields({ entity: mapping.entity, customFields })
      : undefined;
  const targets = Object.keys(mapping.fields);
  for (const [field, expression] of Object.entries(mapping.fields)) {
    const fail = (message: string) => errors.push({ field, expression, message });
    if (typeof expression !== 'string' || expression.trim() === '') {
      fail('expression is empty');
      continue;
    }
    try {
      compileExpression(expression);
    } catch (error) {
      fail(`invalid JSONata expression: ${expressionError(error)}`);
    }
    const target = parseTarget(field);
    if (typeof target === 'string') {
      fail(target);
      continue;
    }
    if (target.kind === 'item' && !targets.includes(`${target.arrayKey}[]`)) {
      fail(`add "${target.arrayKey}[]" selecting the source array that "${field}" maps over`);
    }
    if (target.kind === 'context' && targets.includes(target.arrayKey)) {
      fail(`map "${target.arrayKey}" either whole or per element with "${field}", not both`);
    }
    if (known && !lookupField({ fields: known, path: field })) {
      const hint =
        field.startsWith('custom.') && !customFields?.length
          ? ' (custom fields must be declared for the organisation first)'
          : '';
      fail(`${mapping.entity} has no field "${field}"${hint}`);
    }
  }
  return errors;
}
