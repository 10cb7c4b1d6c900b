// vitest globalSetup: builds dist/widget/widget.js once before any test file runs, so GET /widget.js
// and the browser tests serve the current widget. (startWidgetEnv also builds, atomically, when this
// setup is not configured.)
import { buildWidget } from '../../scripts/build-widget.mjs';

export default async function setup(): Promise<void> {
  const { raw, gzip } = await buildWidget();
  console.info(`widget.js built: ${raw} bytes raw, ${gzip} bytes gzip -9`);
}
