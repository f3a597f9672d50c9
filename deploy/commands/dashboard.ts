import { startDashboard } from '../../dashboard/index.ts';
import { InvalidArgument } from '../../runtime/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';
import { untilStopSignal } from '../stop-signal.ts';
import { wholeFlag } from './fleet-table.ts';

export interface DashboardCliOptions extends Overrides {
  host?: string;
  port?: string;
  token?: string;
  /** The mesh bridge's actor path (default mesh-bridge). */
  bridge?: string;
}

/** `troupe dashboard`: serve the live dashboard of a running system until Ctrl-C. */
export async function dashboard(
  o: DashboardCliOptions,
  out: (line: string) => void,
): Promise<number> {
  const port = wholeFlag(o.port, '--port', 0, 7480);
  if (port > 65535) throw new InvalidArgument(`--port must be ≤ 65535 (got ${port})`);
  const sys = await startCliClient({ ...o, node: undefined });
  try {
    const d = await startDashboard(sys, {
      host: o.host,
      port,
      token: o.token ?? process.env.TROUPE_DASHBOARD_TOKEN,
      includeSelf: false,
      ...(o.bridge === undefined ? {} : { bridge: o.bridge }),
    });
    out(`dashboard for system ${sys.name}: ${d.url}`);
    out('serving; Ctrl-C to stop');
    await untilStopSignal();
    await d.close();
    return 0;
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}
