/**
 * Loads the configuration: YAML file, then KEYPADD_* environment overrides, then --data-dir, validated against the
 * one schema. Every problem is collected and reported at once as `path: message`; any problem refuses the run.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { envName, listSettings } from './schema-walk.js';
import { settingPaths, type ConfigOrigins } from './origins.js';

export const DEFAULT_CONFIG_PATH = '/etc/keypadd/config.yaml';

/** Environment variables that are not settings: the config path itself, and test switches. */
const NOT_SETTINGS = [/^KEYPADD_CONFIG$/, /^KEYPADD_TEST_/];

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly source: string,
  ) {
    super(`invalid configuration (${source}):\n` + problems.map((p) => `  ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** --config FILE; when absent, $KEYPADD_CONFIG, then the default path. */
  configPath?: string | undefined;
  /** --data-dir DIR; wins over the file and the environment. */
  dataDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or "built-in defaults" when the default file does not exist. */
  source: string;
  /** Where each setting that is not a built-in default came from. */
  origins: ConfigOrigins;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const explicit = opts.configPath ?? env.KEYPADD_CONFIG;
  const path = explicit ?? DEFAULT_CONFIG_PATH;
  const problems: string[] = [];
  let source = path;
  let raw: Record<string, unknown> = {};

  const text = readConfigFile(path, explicit !== undefined, problems);
  if (text === undefined) {
    source = 'built-in defaults';
  } else if (text !== null) {
    raw = parseYaml(text, path, problems);
  }

  const origins: ConfigOrigins = Object.fromEntries(settingPaths(raw).map((path) => [path, `file ${source}`]));
  const fromEnv = applyEnvOverrides(raw, env, problems);
  for (const [path, name] of fromEnv) origins[path] = `environment ${name}`;
  if (opts.dataDir !== undefined) {
    raw.data_dir = opts.dataDir;
    origins.data_dir = '--data-dir';
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) problems.push(...formatIssues(result.error.issues, fromEnv));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems, source);

  const config = result.data;
  config.data_dir = resolve(config.data_dir);
  return { config, source, origins };
}

/** The file's text; undefined when the default file is absent (built-in defaults); null after a reported problem. */
function readConfigFile(path: string, explicit: boolean, problems: string[]): string | undefined | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    problems.push(`${path}: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String(err)}`);
    return null;
  }
}

function parseYaml(text: string, path: string, problems: string[]): Record<string, unknown> {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  for (const e of doc.errors) {
    const at = e.linePos?.[0] ? `${path}:${e.linePos[0].line}:${e.linePos[0].col}` : path;
    problems.push(`${at}: ${e.message.split('\n')[0]}`);
  }
  if (doc.errors.length > 0) return {};
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${path}: the top level must be a mapping of settings (key: value)`);
    return {};
  }
  return value as Record<string, unknown>;
}

/** Applies KEYPADD_* variables; returns which dotted paths came from which variable, for error messages. */
function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): Map<string, string> {
  const byName = new Map(
    listSettings(configSchema)
      .filter((s) => !s.inList)
      .map((s) => [envName(s.path), s]),
  );
  const fromEnv = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('KEYPADD_') || value === undefined || NOT_SETTINGS.some((r) => r.test(name))) continue;
    const setting = byName.get(name);
    if (!setting) {
      problems.push(`${name}: unknown setting (see \`keypadd config describe\` for the names)`);
      continue;
    }
    let parsed: unknown = value;
    if (!setting.textual) {
      try {
        parsed = YAML.parse(value);
      } catch (err) {
        problems.push(`${name}: not a valid value (${(err as Error).message.split('\n')[0]})`);
        continue;
      }
    }
    setPath(raw, setting.path, parsed);
    fromEnv.set(setting.path.join('.'), name);
  }
  return fromEnv;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** `doors[0].pin_policy.min_length` style. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(top level)' : out;
}

function formatIssues(issues: z.core.$ZodIssue[], fromEnv: Map<string, string>): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown setting (check the spelling)`);
    }
    const at = formatPath(issue.path);
    const envVar = fromEnv.get(issue.path.map(String).join('.'));
    return [`${at}${envVar ? ` (from ${envVar})` : ''}: ${issue.message}`];
  });
}
