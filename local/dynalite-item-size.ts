/**
 * DynamoDB's 400 KB item limit, counted as DynamoDB counts it.
 *
 * dynalite refuses an item over 400 KB on PutItem, UpdateItem and BatchWriteItem with DynamoDB's
 * ValidationException ("Item size has exceeded the maximum allowed size"), but it measures a
 * string by its JavaScript length, in UTF-16 code units. DynamoDB counts UTF-8 bytes, for
 * attribute names and string values alike ("DynamoDB item sizes and formats",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * "é" is 2 bytes, a CJK character 3, so an item of generated text in such a language could
 * pass here at up to three times the size DynamoDB accepts. This makes dynalite's one size
 * function count UTF-8 bytes: every string it measures is first replaced by one whose length
 * is its UTF-8 byte count.
 */
import { createRequire } from 'node:module';

type AttributeValue = Record<string, unknown>;
type ItemSize = (item: Record<string, AttributeValue>, ...rest: unknown[]) => number;

const PATCHED = Symbol.for('quizgen.dynalite.utf8ItemSize');

/** A string as long as `text` is in UTF-8 (latin1 maps each byte to one code unit). */
function byteLengthString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function asBytes(value: AttributeValue): AttributeValue {
  const [type] = Object.keys(value);
  const inner = type === undefined ? undefined : value[type];
  switch (type) {
    case 'S':
      return { S: byteLengthString(inner as string) };
    case 'SS':
      return { SS: (inner as string[]).map(byteLengthString) };
    case 'L':
      return { L: (inner as AttributeValue[]).map(asBytes) };
    case 'M':
      return { M: itemAsBytes(inner as Record<string, AttributeValue>) };
    default:
      return value;
  }
}

function itemAsBytes(item: Record<string, AttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(item).map(([name, value]) => [byteLengthString(name), asBytes(value)]),
  );
}

/** Patches the dynalite module this process loads. Idempotent. */
export function enforceUtf8ItemSize(): void {
  const require = createRequire(import.meta.url);
  const db = require('dynalite/db') as { itemSize: ItemSize & { [PATCHED]?: true } };
  if (db.itemSize[PATCHED]) return;
  const original = db.itemSize;
  const patched: ItemSize & { [PATCHED]?: true } = (item, ...rest) => original(itemAsBytes(item), ...rest);
  patched[PATCHED] = true;
  db.itemSize = patched;
}
