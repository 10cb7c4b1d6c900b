import path from 'node:path';
import { packageRoot } from '../paths.js';

/** Where `node scripts/build-dashboard.mjs` writes dashboard.js and dashboard.css. */
export const dashboardBundleDir = (): string => path.join(packageRoot(), 'dist', 'dashboard');
