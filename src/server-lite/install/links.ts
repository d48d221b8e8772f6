/** Absolute hrefs under the controller base `/{tenant}/controller/v1/{controllerId}`. */
import { baseUrl, type Ctx } from '../app.js';

export function controllerUrl(ctx: Ctx, path = ''): string {
  const tenant = encodeURIComponent(ctx.params.tenant ?? ctx.app.config.tenant);
  const cid = encodeURIComponent(ctx.params.controllerId ?? '');
  return `${baseUrl(ctx)}/${tenant}/controller/v1/${cid}${path ? `/${path}` : ''}`;
}

/** The four artifact link names hawkBit uses (stock clients look for either pair). */
export function artifactLinks(ctx: Ctx, moduleId: number, filename: string) {
  const href = controllerUrl(ctx, `softwaremodules/${moduleId}/artifacts/${encodeURIComponent(filename)}`);
  return {
    download: { href },
    'download-http': { href },
    md5sum: { href: `${href}.MD5SUM` },
    'md5sum-http': { href: `${href}.MD5SUM` },
  };
}
