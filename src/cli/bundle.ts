import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createBundle } from '../agent/bundle.js';
import { InstallApi } from '../agent/install-api.js';
import { createAuth } from '../agent/net/auth.js';
import { isSoupError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import type { SystemReport } from '../recipe/types.js';
import { CliExit } from './exit.js';

interface ServerOptions {
  server: string;
  tenant: string;
  controller: string;
  token: string;
}

function serverOptions(command: Command): Command {
  return command
    .requiredOption('--server <url>', 'Install API base URL')
    .requiredOption('--tenant <tenant>', 'tenant')
    .requiredOption('--controller <id>', 'the gateway controllerId')
    .requiredOption('--token <token>', "the gateway's target token");
}

function api(o: ServerOptions): InstallApi {
  return new InstallApi({
    url: o.server,
    tenant: o.tenant,
    controllerId: o.controller,
    auth: createAuth({ targetToken: o.token }),
    timeoutMs: 60_000,
    now: () => Date.now(),
  });
}

export function registerBundle(program: Command): void {
  const bundle = program.command('bundle').description('create offline bundles, upload offline feedback');
  serverOptions(
    bundle.command('create').description("fetch the controller's open system update into one bundle"),
  )
    .option('--report <file>', 'a system report (`report --json` of the gateway) to PUT first')
    .requiredOption('-o, --output <file>', 'bundle file to write')
    .action(async (o: ServerOptions & { report?: string; output: string }) => {
      let report: SystemReport | undefined;
      if (o.report !== undefined) {
        try {
          report = JSON.parse(await readFile(o.report, 'utf8')) as SystemReport;
        } catch (err) {
          throw new CliExit(2, `bundle: cannot read the report ${o.report} (${(err as Error).message})`);
        }
      }
      const workDir = await mkdtemp(join(tmpdir(), 'soup-bundle-'));
      try {
        const manifest = await createBundle({
          api: api(o),
          tenant: o.tenant,
          controllerId: o.controller,
          ...(report === undefined ? {} : { report }),
          out: o.output,
          workDir,
          now: () => Date.now(),
          log: createLogger({ level: 'warn' }),
        });
        process.stdout.write(`${JSON.stringify(manifest)}\n`);
      } catch (err) {
        if (isSoupError(err, 'SOUP_E_NO_ACTION')) throw new CliExit(1, `bundle: ${err.message}`);
        throw err;
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    });
  serverOptions(
    bundle.command('upload-feedback').description('send feedback recorded offline (offlineFeedback)'),
  )
    .argument('<file>', 'output of `soup-agent feedback export`')
    .action(async (file: string, o: ServerOptions) => {
      let body: { records?: unknown[] };
      try {
        body = JSON.parse(await readFile(file, 'utf8')) as { records?: unknown[] };
      } catch (err) {
        throw new CliExit(2, `bundle: cannot read ${file} (${(err as Error).message})`);
      }
      if (!Array.isArray(body.records)) throw new CliExit(2, `bundle: ${file} has no "records" list`);
      const client = api(o);
      const status = await client.postJson(client.url('offlineFeedback'), { records: body.records });
      if (status >= 300) throw new CliExit(1, `bundle: offlineFeedback answered ${status}`);
      process.stdout.write(`${body.records.length} record(s) uploaded\n`);
    });
}
