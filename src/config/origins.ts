/**
 * Where each setting's value came from, for the console's settings page and `keypadd config check --origins`: the
 * config file, a KEYPADD_* variable, --data-dir, or else the built-in default. Plain data (it crosses to the API's
 * worker thread). A list of sections (doors, shifts) is described item by item, as a file gives it.
 */

/** Dotted setting path ("mqtt.url", "doors") → where it was set; a path not here is a built-in default. */
export type ConfigOrigins = Record<string, string>;

/** The file read (or "built-in defaults") and each setting's origin. */
export interface ConfigProvenance {
  source: string;
  origins: ConfigOrigins;
}

/** The settings a parsed YAML document sets, as dotted paths down to values and lists. */
export function settingPaths(doc: unknown, prefix = ''): string[] {
  if (Array.isArray(doc) && doc.some((item) => item !== null && typeof item === 'object'))
    return doc.flatMap((item, i) => settingPaths(item, `${prefix}[${i}]`));
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return prefix === '' ? [] : [prefix];
  return Object.entries(doc as Record<string, unknown>).flatMap(([key, value]) => settingPaths(value, prefix === '' ? key : `${prefix}.${key}`));
}

/** The effective configuration as rows of setting, value and origin, in the schema's order. */
export function describeOrigins(config: unknown, origins: ConfigOrigins): { setting: string; value: unknown; origin: string }[] {
  const rows: { setting: string; value: unknown; origin: string }[] = [];
  const walk = (node: unknown, path: string): void => {
    if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) walk(value, path === '' ? key : `${path}.${key}`);
      return;
    }
    // A list of sections (doors, shifts) is shown item by item; a list of values (role ids) as one value.
    if (Array.isArray(node) && node.some((item) => item !== null && typeof item === 'object')) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    rows.push({ setting: path, value: node, origin: originOf(origins, path) });
  };
  walk(config, '');
  return rows;
}

/** The path one level up: "doors[0].name" → "doors[0]" → "doors" → "". */
function parentOf(path: string): string {
  const up = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
  return up === path ? '' : up;
}

/** A setting's origin: its own, or the nearest enclosing one (a whole section or list given by the file). */
function originOf(origins: ConfigOrigins, path: string): string {
  for (let p = path; p !== ''; p = parentOf(p)) {
    const origin = origins[p];
    if (origin !== undefined) return origin;
  }
  return 'default';
}
