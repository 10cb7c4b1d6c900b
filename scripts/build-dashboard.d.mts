// Types for scripts/build-dashboard.mjs, so TypeScript tests can import it.
export declare const DASHBOARD_ENTRIES: { dashboard: string; 'dashboard-css': string };
export declare const DASHBOARD_DIR: string;
export interface DashboardOutput {
  file: string;
  raw: number;
  gzip: number;
}
export declare function buildDashboard(options?: { write?: boolean; sourcemap?: boolean }): Promise<DashboardOutput[]>;
export declare function measure(bytes: Uint8Array): { raw: number; gzip: number };
