import type { Config } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../db/create-database.js';
import type { Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { findPublicationBySlug } from '../publications/publication.repository.js';
import { PublicationError } from '../publications/publication.service.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../ops/metrics.js';
import { createWebhookApplier, type WebhookApplier } from '../webhooks/webhook-applier.js';

/** Opens the configured database for one CLI command; `await using` closes it again. */
export async function openCliDatabase(config: Config): Promise<DatabaseHandle & AsyncDisposable> {
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  return { ...handle, [Symbol.asyncDispose]: () => handle.close() };
}

/** Most commands need the schema in place; migrating first makes them work on a fresh database. */
export async function openMigratedDatabase(config: Config): Promise<DatabaseHandle & AsyncDisposable> {
  const handle = await openCliDatabase(config);
  await migrateToLatest(handle.db);
  return handle;
}

/** Applies what the command stored in the webhook inbox, in this process, before it exits. */
export function cliApplier(db: Db): WebhookApplier {
  return createWebhookApplier({
    db,
    logger: createLogger('warn'),
    metrics: createMetrics(() => ({ total: 0, idle: 0, waiting: 0 })),
    pollMs: 0,
  });
}

/** The publication a command names, or an error a user can act on. */
export async function requirePublication(db: Db, slug: string): Promise<PublicationRow> {
  const publication = await findPublicationBySlug(db, slug);
  if (!publication) throw new PublicationError(`No publication with slug "${slug}".`);
  return publication;
}
