import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };

// No Docker engine runs here, so the image is checked as text: what it is built from is what matters.
describe('the Docker image', () => {
  it('runs a current Node LTS, pinned by digest in every stage', () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(image).toMatch(/^node:(22|24)-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const stages = dockerfile.match(/^FROM .+$/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
  });

  it('runs as a non-root user, while the package still supports Node 20.12', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(packageJson.engines.node).toBe('>=20.12');
  });
});
