/** Module links for a one-shot command (install without a daemon, report): opened on first use, closed at the end. */
import { createLinkProvider } from '../protocols/buses/links.js';
import type { LinkProvider } from '../protocols/buses/types.js';

export function offlineBundleLinks(): LinkProvider & { closeAll(): Promise<void> } {
  let real: (LinkProvider & { closeAll(): Promise<void> }) | undefined;
  return {
    serial: (path, baud) => {
      real ??= createLinkProvider();
      return real.serial(path, baud);
    },
    can: (bus, bitrate) => {
      real ??= createLinkProvider();
      return real.can(bus, bitrate);
    },
    closeAll: async () => {
      await real?.closeAll();
    },
  };
}
