/**
 * The agent configuration (`agent.md`, "Configuration"), in one place: defaults → file → environment →
 * flags, validated once against `schemas/agent-config.schema.json` (units and ranges live there) by
 * the validator generated from it at build time (src/generated/agent-config.js).
 * Every error is a SoupError SOUP_E_CONFIG whose one-line message names the key path.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import * as generated from '../generated/agent-config.js';
import type { ModulesConfig } from '../inventory/module-config.js';
import { SoupError } from '../lib/errors.js';
import { keyPath } from '../lib/key-path.js';
import type { ServerAuthConfig } from './net/auth.js';

export type ConsentPolicy = 'always' | 'whenAsked' | 'never';

export interface AgentConfig {
  server: {
    url: string;
    tenant: string;
    controllerId: string;
    auth: ServerAuthConfig;
    requestTimeoutMs: number;
  };
  dataDir: string;
  trust: { keys: string };
  modules: ModulesConfig;
  ddi: { parts: Record<string, { module: string }> };
  consent: ConsentPolicy;
  mqtt?: { url: string; topicPrefix: string };
  polling: {
    defaultSleepMs: number;
    maxSleepMs: number;
    errorBaseMs: number;
    errorCapMs: number;
    jitter: number;
  };
  update: { stepAttempts: number; maxResumes: number; retryDelayMs: number; scriptTimeoutMs: number };
  log: { level: string };
}

export const DEFAULT_CONFIG_PATH = '/etc/soup-agent/config.json';

/** Where the configuration file is: `-c` flag, else SOUP_AGENT_CONFIG, else the default path. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.SOUP_AGENT_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/** Overrides from the environment: `SOUP_AGENT_<KEY>` for the keys an installer changes most. */
const ENV_KEYS: [string, string[]][] = [
  ['SOUP_AGENT_SERVER_URL', ['server', 'url']],
  ['SOUP_AGENT_TENANT', ['server', 'tenant']],
  ['SOUP_AGENT_CONTROLLER_ID', ['server', 'controllerId']],
  ['SOUP_AGENT_TARGET_TOKEN', ['server', 'auth', 'targetToken']],
  ['SOUP_AGENT_DATA_DIR', ['dataDir']],
  ['SOUP_AGENT_TRUST_KEYS', ['trust', 'keys']],
  ['SOUP_AGENT_CONSENT', ['consent']],
  ['SOUP_LOG_LEVEL', ['log', 'level']],
];

export interface ConfigFlags {
  dataDir?: string;
  logLevel?: string;
}

type Json = Record<string, unknown>;

/** Checks (and completes with the schema's defaults) the merged configuration. */
function validate(value: unknown): ErrorObject[] {
  const check = generated.agentConfig;
  return check(value) ? [] : (check.errors ?? []);
}

/** The key path of a pointer, `(root)` for the whole file. */
function at(pointer: string, extra?: string): string {
  return keyPath(pointer, extra) || '(root)';
}

/** One line per configuration fault, naming the key path; the first is the one reported. */
export function describeErrors(errors: ErrorObject[]): string[] {
  const lines: string[] = [];
  // the auth alternatives (anyOf) report a fault per branch: say it once, at the alternative
  const alternatives = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const relevant = errors.filter(
    (e) => !(alternatives.has(e.instancePath) && e.schemaPath.includes('/anyOf/')),
  );
  for (const e of relevant) {
    let line: string;
    switch (e.keyword) {
      case 'required':
        line = `${at(e.instancePath, String(e.params.missingProperty))} is missing`;
        break;
      case 'additionalProperties':
        line = `${at(e.instancePath, String(e.params.additionalProperty))} is not a known key`;
        break;
      case 'anyOf':
      case 'not':
        line = `${at(e.instancePath)} must be exactly one of targetToken, gatewayToken, oauth2 or cert+key`;
        break;
      case 'enum':
        line = `${at(e.instancePath)} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
        break;
      default:
        line = `${at(e.instancePath)} ${e.message ?? 'is invalid'}`;
    }
    if (!lines.includes(line)) lines.push(line);
  }
  // a specific fault inside an alternative beats the generic alternative message
  lines.sort((a, b) => Number(a.includes('exactly one of')) - Number(b.includes('exactly one of')));
  return lines;
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1] as string] = value;
}

/** Builds the configuration from a parsed file value, the environment and flags (pure). */
export function buildConfig(
  fileValue: unknown,
  env: NodeJS.ProcessEnv = {},
  flags: ConfigFlags = {},
): AgentConfig {
  if (typeof fileValue !== 'object' || fileValue === null || Array.isArray(fileValue)) {
    throw new SoupError('SOUP_E_CONFIG', 'config: the file must hold a JSON object');
  }
  const merged = structuredClone(fileValue) as Json;
  for (const [name, path] of ENV_KEYS) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(merged, path, v);
  }
  if (flags.dataDir !== undefined) merged.dataDir = flags.dataDir;
  if (flags.logLevel !== undefined) setPath(merged, ['log', 'level'], flags.logLevel);
  // objects whose members have defaults must exist for ajv to fill them in
  for (const key of ['ddi', 'polling', 'update', 'log', 'modules']) {
    if (merged[key] === undefined) merged[key] = {};
  }
  const ddi = merged.ddi as Json;
  if (typeof ddi === 'object' && ddi !== null && ddi.parts === undefined) ddi.parts = {};
  const errors = validate(merged);
  if (errors.length > 0) {
    throw new SoupError('SOUP_E_CONFIG', `config: ${describeErrors(errors)[0]}`, {
      detail: { errors: describeErrors(errors) },
    });
  }
  const config = merged as unknown as AgentConfig;
  checkReferences(config);
  return config;
}

/** Cross-field rules the schema cannot state. */
function checkReferences(config: AgentConfig): void {
  const names = new Set<string>();
  const add = (name: string, where: string) => {
    if (names.has(name)) throw new SoupError('SOUP_E_CONFIG', `config: ${where} "${name}" is used twice`);
    names.add(name);
  };
  (config.modules.serial ?? []).forEach((m, i) => {
    add(serialName(m), `modules.serial[${i}].name`);
  });
  (config.modules.can ?? []).forEach((bus, i) => {
    bus.ecus.forEach((ecu, j) => {
      add(ecu.name, `modules.can[${i}].ecus[${j}].name`);
    });
  });
  const local = config.modules.local ?? [];
  local.forEach((m, i) => {
    add(m.name, `modules.local[${i}].name`);
    if ((m.handler === 'rawfile' || m.handler === 'raw') && m.target === undefined) {
      throw new SoupError(
        'SOUP_E_CONFIG',
        `config: modules.local[${i}].target is missing (handler ${m.handler})`,
      );
    }
  });
  if (local.filter((m) => m.gateway === true).length > 1) {
    throw new SoupError(
      'SOUP_E_CONFIG',
      'config: modules.local has more than one entry with "gateway": true',
    );
  }
  for (const [part, { module }] of Object.entries(config.ddi.parts)) {
    if (!names.has(module) && module !== 'gateway') {
      throw new SoupError(
        'SOUP_E_CONFIG',
        `config: ddi.parts.${part}.module names no configured module "${module}"`,
      );
    }
  }
}

/** Reads, merges and validates the configuration; throws SOUP_E_CONFIG (the CLI exits 2). */
export function loadConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  flags: ConfigFlags = {},
): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SoupError('SOUP_E_CONFIG', `config: cannot read ${path} (${code ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SoupError('SOUP_E_CONFIG', `config: ${path} is not valid JSON (${(err as Error).message})`);
  }
  return buildConfig(value, env, flags);
}

/** The configured name of every module (serial: base name of the path by default). */
export function serialName(entry: { name?: string; path: string }): string {
  return entry.name ?? entry.path.split('/').pop() ?? entry.path;
}
