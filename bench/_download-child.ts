/**
 * Benchmark helper process: downloads `<url>` to `<dest>` (`<size>` bytes, `<sha256>`) with
 * `downloadArtifact`, then prints `{"maxRssKiB":N}` (peak resident set of this process).
 */
import { downloadArtifact } from '../src/agent/net/download.js';

const [url, dest, size, sha256] = process.argv.slice(2);
if (url === undefined || dest === undefined || size === undefined || sha256 === undefined) {
  console.error('usage: _download-child URL DEST SIZE SHA256');
  process.exit(2);
}
await downloadArtifact({
  url,
  dest,
  size: Number(size),
  sha256,
  auth: { headers: async () => ({}), unauthorized: async () => false, transport: undefined },
});
process.stdout.write(`${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })}\n`);
