/** Walks the config schema to list its settings: the source of env override names and of `config describe`. */
import type { z } from 'zod';

export interface Setting {
  /** Key path, e.g. ['pin_policy', 'min_length']. */
  path: string[];
  description: string;
  /** True when the value is text as given (a string or enum), false when it is parsed as YAML (numbers, lists). */
  textual: boolean;
  /** A type hint for people: string, integer, enum values, list. */
  kind: string;
  /** Set for the fields of each entry of a list (doors[].name): described, but set only through the whole list. */
  inList?: boolean;
  /** The bounds of a number setting (every one has both: a setting must not switch a protection off by accident). */
  range?: { min: number; max: number };
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; entries?: Record<string, string> };

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Leaf settings of an object schema, depth first; wrappers (default, optional, ...) are looked through. */
export function listSettings(schema: z.ZodType, path: string[] = [], description = ''): Setting[] {
  let s = schema;
  let desc = description || s.description || '';
  for (;;) {
    const d = defOf(s);
    const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!inner) break;
    s = inner;
    desc ||= s.description ?? '';
  }
  const d = defOf(s);
  if (d.type === 'object' && d.shape) {
    return Object.entries(d.shape).flatMap(([key, child]) => listSettings(child, [...path, key]));
  }
  const element = (d as { element?: z.ZodType }).element;
  if (d.type === 'array' && element && defOf(element).type === 'object') {
    const fields = listSettings(element, [...path.slice(0, -1), `${path[path.length - 1]}[]`]);
    return [{ path, description: desc, textual: false, kind: 'list' }, ...fields.map((f) => ({ ...f, inList: true }))];
  }
  const kind =
    d.type === 'enum' && d.entries
      ? Object.values(d.entries).join('|')
      : d.type === 'number'
        ? (d as { format?: string }).format === 'safeint'
          ? 'integer'
          : 'number'
        : d.type === 'array'
          ? 'list'
          : d.type === 'union'
            ? ((d as { options?: z.ZodType[] }).options ?? []).map((o) => defOf(o).type.replace('pipe', 'boolean')).join(' or ')
            : d.type;
  const bounds = s as unknown as { minValue?: number | null; maxValue?: number | null };
  const range = d.type === 'number' ? { min: bounds.minValue ?? -Infinity, max: bounds.maxValue ?? Infinity } : undefined;
  const ranged =
    range && Number.isSafeInteger(range.max) && Math.abs(range.max) < Number.MAX_SAFE_INTEGER ? `${kind} ${range.min}-${range.max}` : kind;
  return [{ path, description: desc, textual: d.type === 'string' || d.type === 'enum', kind: ranged, ...(range ? { range } : {}) }];
}

/** KEYPADD_ + upper-case key path with __ between levels: pin_policy.min_length -> KEYPADD_PIN_POLICY__MIN_LENGTH. */
export function envName(path: string[]): string {
  return 'KEYPADD_' + path.map((p) => p.toUpperCase()).join('__');
}
