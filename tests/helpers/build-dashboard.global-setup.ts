// vitest globalSetup: builds dist/dashboard/ (dashboard.js, dashboard.css) once before any test file
// runs, so GET /dashboard and the browser tests serve the current dashboard. (startDashboardEnv also
// builds, atomically, when this setup is not configured.)
import { buildDashboard } from '../../scripts/build-dashboard.mjs';

export default async function setup(): Promise<void> {
  for (const { file, raw, gzip } of await buildDashboard()) console.info(`${file} built: ${raw} bytes raw, ${gzip} bytes gzip -9`);
}
