/** What `soup-agent simulate` starts: one handle per simulated module. */
export interface SimulatedModule {
  name: string;
  protocol: 'smp' | 'uds';
  /** The path the agent opens (a symlink to the pty peer). */
  path: string;
  txId?: string;
  rxId?: string;
  close(): Promise<void>;
}
