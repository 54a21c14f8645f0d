import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);

export interface CapacityCounts {
  requests: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

interface ConsumedCapacity {
  CapacityUnits?: number;
}

/**
 * Counts every DynamoDB request a document client sends and the capacity DynamoDB (here dynalite) reports for it:
 * asks for `ReturnConsumedCapacity: TOTAL` on every call and sums the answer into read or write units. With `units`
 * false it only counts requests (asking for capacity makes dynalite size every item, which slows what is measured).
 */
export function countCapacity(
  doc: DynamoDBDocumentClient,
  options: { units?: boolean } = {},
): { counts: CapacityCounts; reset(): void } {
  const counts: CapacityCounts = { requests: {}, readUnits: 0, writeUnits: 0 };
  const askUnits = options.units !== false;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      if (askUnits) (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      counts.requests[name] = (counts.requests[name] ?? 0) + 1;
      const consumed = (out.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
        .ConsumedCapacity;
      const units = [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      if (READS.has(name)) counts.readUnits += units;
      else counts.writeUnits += units;
      return out;
    },
    { step: 'initialize', name: 'benchCapacityCounter' },
  );
  return {
    counts,
    reset() {
      counts.requests = {};
      counts.readUnits = 0;
      counts.writeUnits = 0;
    },
  };
}
