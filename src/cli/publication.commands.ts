import { Command, Option } from 'commander';
import { loadConfig } from '../config.js';
import type { CurrencySettings, Interval, PublicationRow } from '../db/tables/publication.table.js';
import { listPublications } from '../publications/publication.repository.js';
import type { PublicationInput } from '../publications/publication.schema.js';
import { changePublication, createPublication, PublicationError, toPublicationInput } from '../publications/publication.service.js';
import { defaultCurrencySettings } from '../publications/currency-defaults.js';
import { openMigratedDatabase } from './cli-database.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface PublicationOptions {
  name?: string;
  origin?: string[];
  currency?: string[];
  presets?: string[];
  defaultCurrency?: string;
  intervals?: string;
  locale?: string;
  timeZone?: string;
  json?: string;
}

function withPublicationOptions(command: Command): Command {
  return command
    .option('--name <name>', 'display name, e.g. "The Daily Favour"')
    .option('--origin <url>', 'a site origin allowed to send readers (repeatable), e.g. https://news.example', collect)
    .option(
      '--currency <code[:min:max]>',
      'an accepted currency, optionally with limits in minor units (repeatable), e.g. eur:100:100000',
      collect,
    )
    .option('--presets <code:interval:amounts>', 'preset buttons in minor units (repeatable), e.g. eur:once:500,1000,2500', collect)
    .option('--default-currency <code>', 'currency shown first')
    .option('--intervals <list>', 'what readers may choose, from once,month,year')
    .option('--locale <tag>', 'default language, e.g. en, it, sr-Latn')
    .option('--time-zone <zone>', 'IANA time zone for reports, e.g. Europe/Rome')
    .addOption(new Option('--json <json>', 'the whole publication (or the fields to change) as JSON'));
}

/** Turns command-line options into (part of) a publication description. */
export function optionsToPublication(options: PublicationOptions, current?: PublicationInput): Partial<PublicationInput> {
  const change: Partial<PublicationInput> = options.json ? (JSON.parse(options.json) as Partial<PublicationInput>) : {};
  if (options.name !== undefined) change.name = options.name;
  if (options.origin) change.origins = options.origin;
  if (options.intervals) change.intervals = options.intervals.split(',').map((s) => s.trim()) as Interval[];
  if (options.locale) change.default_locale = options.locale;
  if (options.timeZone) change.time_zone = options.timeZone;
  if (options.currency || options.presets) {
    const currencies: Record<string, CurrencySettings> = structuredClone(change.currencies ?? current?.currencies ?? {});
    if (options.currency) {
      for (const key of Object.keys(currencies))
        if (!options.currency.some((c) => c.split(':')[0]!.toLowerCase() === key)) delete currencies[key];
      for (const spec of options.currency) {
        const [code, min, max] = spec.toLowerCase().split(':');
        const settings = currencies[code!] ?? defaultCurrencySettings(code!);
        if (min) settings.min = Number(min);
        if (max) settings.max = Number(max);
        currencies[code!] = settings;
      }
    }
    for (const spec of options.presets ?? []) {
      const [code, interval, amounts] = spec.toLowerCase().split(':');
      const settings = currencies[code!];
      if (!settings) throw new PublicationError(`--presets ${spec}: add the currency ${code} first with --currency.`);
      settings.presets[interval as Interval] = (amounts ?? '').split(',').filter(Boolean).map(Number);
    }
    change.currencies = currencies;
  }
  if (options.defaultCurrency) change.default_currency = options.defaultCurrency.toLowerCase();
  else if (change.currencies && !current) change.default_currency = Object.keys(change.currencies)[0] ?? '';
  return change;
}

function describe(p: PublicationRow): string {
  const currencies = Object.entries(p.currencies)
    .map(([code, s]) => `${code} ${s.min}-${s.max}`)
    .join(', ');
  return `${p.slug}\t${p.name}\t${p.origins.join(' ')}\t${currencies}\t${p.intervals.join(',')}\t${p.default_locale}\t${p.time_zone}`;
}

export function publicationCommands(io: { out: (line: string) => void; err: (line: string) => void }): Command {
  const publication = new Command('publication').description('manage publications (sites or language editions)');

  withPublicationOptions(publication.command('add <slug>').description('add a publication')).action(
    async (slug: string, options: PublicationOptions) => {
      await using database = await openMigratedDatabase(loadConfig());
      const change = optionsToPublication({ ...options, currency: options.currency ?? (options.json ? undefined : ['eur']) });
      const created = await createPublication(database.db, {
        intervals: ['once', 'month', 'year'],
        default_locale: 'en',
        time_zone: 'UTC',
        ...change,
        slug,
      });
      io.out(`added ${describe(created)}`);
    },
  );

  withPublicationOptions(
    publication.command('update <slug>').description('change a publication; options not given stay as they are'),
  ).action(async (slug: string, options: PublicationOptions) => {
    await using database = await openMigratedDatabase(loadConfig());
    const current = (await listPublications(database.db)).find((p) => p.slug === slug);
    if (!current) throw new PublicationError(`No publication with slug "${slug}".`);
    const updated = await changePublication(database.db, slug, optionsToPublication(options, toPublicationInput(current)));
    io.out(`updated ${describe(updated)}`);
  });

  publication
    .command('list')
    .description('list publications')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await using database = await openMigratedDatabase(loadConfig());
      const rows = await listPublications(database.db);
      if (options.json) io.out(JSON.stringify(rows, null, 2));
      else {
        io.out('slug\tname\torigins\tcurrencies (min-max, minor units)\tintervals\tlocale\ttime zone');
        for (const row of rows) io.out(describe(row));
      }
    });

  return publication;
}
