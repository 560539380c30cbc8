import { isGrpcServiceError, type Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import type { TemporalConfig } from './config';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const grpcAlreadyExists = 6;

const typeByName: Record<TemporalConfig['searchAttributes'][string], temporal.api.enums.v1.IndexedValueType> =
  {
    Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  };

/**
 * Registers the configured custom search attributes through the operator service. Idempotent: attributes
 * already present are skipped; one present with another type is an error naming it.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: TemporalConfig['searchAttributes'],
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = existing.customAttributes ?? {};
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const [name, type] of Object.entries(wanted)) {
    const current = custom[name];
    if (current === undefined) missing[name] = typeByName[type];
    else if (current !== typeByName[type]) {
      throw new Error(`temporal.yaml searchAttributes.${name}: registered as another type than ${type}`);
    }
  }
  if (Object.keys(missing).length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    // Another worker starting at the same time added them first: check them again.
    if (!isGrpcServiceError(error) || error.code !== grpcAlreadyExists) throw error;
    await registerSearchAttributes(connection, namespace, wanted);
    return [];
  }
  return Object.keys(missing);
}
