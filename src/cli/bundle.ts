import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type BundleServer, bundleApi, createBundle } from '../agent/bundle/create.js';
import { readOfflineFeedback, uploadOfflineFeedback } from '../agent/bundle/offline-feedback.js';
import { systemClock } from '../lib/clock.js';
import { isSoupError, oneLine } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { CliExit } from './exit.js';

interface ServerOptions {
  server: string;
  tenant: string;
  controller: string;
  token: string;
}

function withServerOptions(command: Command): Command {
  return command
    .requiredOption('--server <url>', 'the backend (Install API base URL)')
    .requiredOption('--tenant <tenant>', 'tenant')
    .requiredOption('--controller <id>', "the gateway's controllerId")
    .requiredOption('--token <token>', "the gateway's target token");
}

function serverOf(o: ServerOptions): BundleServer {
  if (!/^https?:\/\//.test(o.server))
    throw new CliExit(2, `bundle: --server ${o.server} is not an http(s) URL`);
  return { url: o.server, tenant: o.tenant, controllerId: o.controller, targetToken: o.token };
}

export function registerBundle(program: Command): void {
  const bundle = program.command('bundle').description('create offline bundles, upload offline feedback');
  withServerOptions(
    bundle
      .command('create')
      .description("fetch the gateway's open system update into one bundle file")
      .option('--report <file>', 'a system report (report --json) to send first as that controller')
      .requiredOption('-o, --out <file>', 'the bundle file to write'),
  ).action(async (options: ServerOptions & { report?: string; out: string }) => {
    const server = serverOf(options);
    try {
      const manifest = await createBundle({
        server,
        ...(options.report === undefined ? {} : { reportFile: resolve(options.report) }),
        out: resolve(options.out),
        clock: systemClock,
        log: createLogger({ level: process.env.SOUP_LOG_LEVEL ?? 'warn' }),
      });
      process.stdout.write(
        `bundle ${options.out}: action ${manifest.actionId}, recipe ${manifest.recipe.name} ${manifest.recipe.version} (id ${manifest.recipe.id})\n`,
      );
    } catch (err) {
      if (isSoupError(err, 'SOUP_E_NO_ACTION')) throw new CliExit(1, oneLine(err));
      throw err;
    }
  });
  withServerOptions(
    bundle
      .command('upload-feedback')
      .description('send feedback recorded offline (feedback export) to the backend (offlineFeedback)')
      .argument('<file>', 'the file written by feedback export'),
  ).action(async (file: string, options: ServerOptions) => {
    const server = serverOf(options);
    const feedback = await readOfflineFeedback(resolve(file));
    const sent = await uploadOfflineFeedback(bundleApi(server, systemClock), feedback);
    process.stdout.write(`${sent} offline feedback record(s) sent\n`);
  });
}
