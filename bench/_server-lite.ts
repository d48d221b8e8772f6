/**
 * Benchmark helper process: server-lite on 127.0.0.1:0 with a data folder and an admin user given on the
 * command line (`<dataDir> <password>`). Prints `{"url":"…"}` once listening; stops on SIGTERM.
 */
import { startServerLite } from '../src/server-lite/index.js';

const [dataDir, password] = process.argv.slice(2);
if (dataDir === undefined || password === undefined) {
  console.error('usage: _server-lite DATA_DIR PASSWORD');
  process.exit(2);
}
const server = await startServerLite({
  port: 0,
  host: '127.0.0.1',
  dataDir,
  users: [{ name: 'bench', password, roles: ['ADMIN'] }],
  rateLimit: { getPerMinute: 100_000, writePerMinute: 100_000 },
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
