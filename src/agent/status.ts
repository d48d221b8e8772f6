/**
 * `soup-agent status` (`docs/cli.md`, "status --json"): read from the state file, so it works whether or not the
 * daemon runs; whether it runs is asked on its control socket.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSoupError, SoupError } from '../lib/errors.js';
import { redactText, redactUrl } from '../lib/redact.js';
import type { Phase, Progress } from '../recipe/status.js';
import { UPDATE_STEPS } from '../recipe/status.js';
import type { SystemReport } from '../recipe/types.js';
import type { ActionContext } from './action.js';
import type { AgentConfig } from './config.js';
import { askDaemon, socketPath } from './control-socket.js';
import { phaseOf, stepsDone } from './machine.js';
import { STATE_FILE, StateStore } from './store.js';
import type { ActiveState, LastResult } from './update-runner.js';

export interface StatusJson {
  agent: { version: string; running: boolean; pid: number | null };
  backend: {
    url: string;
    tenant: string;
    controllerId: string;
    lastPollAt: string | null;
    lastPollOk: boolean | null;
    lastError: string | null;
  };
  modules: { id: string; name: string; status: string; attributes: Record<string, string> }[];
  installedRecipe: { id: string; name: string; version: string } | null;
  update: {
    actionId: string;
    kind: ActionContext['kind'];
    phase: Phase;
    progress: Progress;
    recipe: { id: string; name: string; version: string } | null;
    modules: { module: string; name: string; state: string; progress: Progress }[];
  } | null;
  lastResult: LastResult | null;
  pendingFeedback: number;
  pendingConsent: { actionId: string } | null;
}

/**
 * The daemon's pid, or null when none runs. A daemon this user may not reach, or one that does not
 * answer, is an error (SOUP_E_DAEMON_ACCESS, SOUP_E_DAEMON_SILENT): whether it runs is then unknown.
 */
export async function daemonPid(dataDir: string): Promise<number | null> {
  try {
    const answer = await askDaemon(dataDir, { command: 'ping' }, 3000);
    if (answer.ok && Number.isInteger(answer.pid)) return Number(answer.pid);
    throw new SoupError('SOUP_E_DAEMON_SILENT', `the daemon gave no pid on ${socketPath(dataDir)}`);
  } catch (err) {
    if (isSoupError(err, 'SOUP_E_NO_DAEMON')) return null;
    throw err;
  }
}

/**
 * Whether the state file exists. Only "no such file" means there is no state yet; any other failure
 * (a directory this user may not enter) is SOUP_E_STATE, never "no state".
 */
function hasStateFile(dataDir: string): boolean {
  try {
    statSync(join(dataDir, STATE_FILE));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (code === 'ENOENT') return false;
    throw new SoupError('SOUP_E_STATE', `cannot look into ${dataDir} (${code})`);
  }
}

/**
 * `self`: the daemon asking about itself (its pid), which need not ask its own socket, and may lend its
 * open state store. Others open the state read-only: `status` needs no write access.
 */
export async function readStatus(
  config: AgentConfig,
  agentVersion: string,
  self?: { pid: number; store?: StateStore },
): Promise<StatusJson> {
  const hasState = self?.store !== undefined || hasStateFile(config.dataDir);
  const pid = self?.pid ?? (await daemonPid(config.dataDir));
  const status: StatusJson = {
    agent: { version: agentVersion, running: pid !== null, pid },
    backend: {
      url: redactUrl(config.server.url),
      tenant: config.server.tenant,
      controllerId: config.server.controllerId,
      lastPollAt: null,
      lastPollOk: null,
      lastError: null,
    },
    modules: [],
    installedRecipe: null,
    update: null,
    lastResult: null,
    pendingFeedback: 0,
    pendingConsent: null,
  };
  if (!hasState) return status;
  const lent = self?.store;
  const reader = lent === undefined ? openForReading(config.dataDir) : { store: lent, close: () => {} };
  const store = reader.store;
  try {
    status.backend.lastPollAt = store.get<string>('backend.lastPollAt') ?? null;
    status.backend.lastPollOk = store.get<boolean>('backend.lastPollOk') ?? null;
    const lastError = store.get<string | null>('backend.lastError') ?? null;
    status.backend.lastError = lastError === null ? null : redactText(lastError);
    const report = store.get<SystemReport>('report.last');
    status.modules = (report?.modules ?? []).map((m) => ({
      id: m.id,
      name: m.name,
      status: m.status ?? 'ok',
      attributes: m.attributes,
    }));
    status.installedRecipe = store.get('installedRecipe') ?? null;
    status.lastResult = store.get<LastResult>('lastResult') ?? null;
    status.pendingFeedback = store.outboxSize();
    const pending = store.get<{ actionId: string }>('consent.pending');
    status.pendingConsent = pending === undefined ? null : { actionId: pending.actionId };
    const action = store.loadAction<ActiveState, ActionContext>();
    if (action !== undefined) {
      status.update = {
        actionId: action.actionId,
        kind: action.context.kind,
        phase: phaseOf(action.state),
        progress: { cnt: stepsDone(action.state), of: UPDATE_STEPS },
        recipe: action.context.recipe ?? null,
        modules: action.context.modules.map((m) => ({
          module: m.id,
          name: m.name,
          state: m.state,
          progress: m.progress ?? { cnt: 0, of: m.image?.size ?? 0 },
        })),
      };
    }
  } finally {
    reader.close();
  }
  return status;
}

/**
 * The state, opened read-only: `status` needs no write access. A WAL database whose daemon has stopped
 * has no shared-memory file, and a reader that may not create one (a member of the daemon's group)
 * cannot open it in place: then it reads a private copy, which is the whole state since nobody writes it.
 */
function openForReading(dataDir: string): { store: StateStore; close: () => void } {
  let store: StateStore | undefined;
  try {
    store = StateStore.openExisting(dataDir);
    store.get('backend.lastPollAt');
    const opened = store;
    return { store: opened, close: () => opened.close() };
  } catch (err) {
    store?.close();
    if (!String((err as { code?: unknown }).code).startsWith('SQLITE_READONLY')) throw err;
  }
  const copy = mkdtempSync(join(tmpdir(), 'soup-status-'));
  const remove = () => rmSync(copy, { recursive: true, force: true });
  try {
    const file = join(dataDir, STATE_FILE);
    copyFileSync(file, join(copy, STATE_FILE));
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, join(copy, `${STATE_FILE}-wal`));
    const snapshot = StateStore.open(copy);
    return {
      store: snapshot,
      close: () => {
        snapshot.close();
        remove();
      },
    };
  } catch (err) {
    remove();
    throw err;
  }
}

function bar(p: Progress, width = 24): string {
  const filled = p.of === 0 ? 0 : Math.round((p.cnt / p.of) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.cnt}/${p.of}`;
}

/** The human form: a short block for an installer. */
export function formatStatus(s: StatusJson): string {
  const lines: string[] = [];
  lines.push(
    `gateway   ${s.backend.controllerId} (agent ${s.agent.version}, ${s.agent.running ? `running, pid ${s.agent.pid}` : 'not running'})`,
  );
  const poll =
    s.backend.lastPollAt === null
      ? 'never polled'
      : `last poll ${s.backend.lastPollAt} ${s.backend.lastPollOk ? 'ok' : 'FAILED'}`;
  lines.push(
    `backend   ${s.backend.url} tenant ${s.backend.tenant}, ${poll}${s.backend.lastError ? ` (${s.backend.lastError})` : ''}`,
  );
  lines.push(
    `recipe    ${s.installedRecipe === null ? 'none installed' : `${s.installedRecipe.name} ${s.installedRecipe.version} (id ${s.installedRecipe.id})`}`,
  );
  lines.push('modules');
  if (s.modules.length === 0) lines.push('  (no report yet)');
  for (const m of s.modules) {
    const version = m.attributes.swVersion ?? '-';
    lines.push(
      `  ${m.name.padEnd(16)} ${m.id.padEnd(24)} ${m.status === 'ok' ? `sw ${version}` : m.status.toUpperCase()}`,
    );
  }
  if (s.update !== null) {
    lines.push(`update    action ${s.update.actionId}: ${s.update.phase} ${bar(s.update.progress)}`);
    for (const m of s.update.modules)
      lines.push(`  ${m.name.padEnd(16)} ${m.state.padEnd(14)} ${m.progress.of > 0 ? bar(m.progress) : ''}`);
  }
  if (s.pendingConsent !== null)
    lines.push(
      `consent   waiting for an answer on action ${s.pendingConsent.actionId}: soup-agent consent accept|deny`,
    );
  if (s.lastResult !== null) {
    const why = s.lastResult.details.length > 0 ? `: ${s.lastResult.details.join('; ')}` : '';
    lines.push(
      `last      action ${s.lastResult.actionId} ${s.lastResult.finished} at ${s.lastResult.at}${why}`,
    );
  }
  if (s.pendingFeedback > 0)
    lines.push(`outbox    ${s.pendingFeedback} feedback message(s) not yet delivered`);
  return `${lines.join('\n')}\n`;
}
