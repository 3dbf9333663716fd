/**
 * audiences/: who a session writes to. Contact lists with typed fields and tags (`lists.ts`), CSV imports into
 * them (`csv.ts`, `imports.ts`), phone numbers normalised to E.164 (`phones.ts`), and the opt-outs every send
 * honours (`opt-outs.ts`). This file builds them on the store.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { Store } from '../store';
import { ImportJobs } from './imports';
import { ContactLists } from './lists';
import { OptOuts, type OptOutSettings } from './opt-outs';

export interface Audiences {
  lists: ContactLists;
  optOuts: OptOuts;
  imports: ImportJobs;
}

export function createAudiences(deps: {
  store: Store;
  bus: EventBus;
  logger: Logger;
  dataDir: string;
  optOutSettings: OptOutSettings;
  /** Sends a text answering the contact's own message (the opt-out confirmation). */
  reply(session: string, to: string, text: string): Promise<void>;
  checkOnWhatsApp(session: string, phones: string[]): Promise<Set<string> | undefined>;
}): Audiences {
  const { store, bus, logger } = deps;
  const lists = new ContactLists(store.namespace('audience-lists', { plainJson: true }), (id) => store.namespace(`audience-contacts:${id}`, { plainJson: true }));
  const optOuts = new OptOuts(store.namespace('opt-outs', { plainJson: true }), bus, deps.optOutSettings, deps.reply, logger);
  const imports = new ImportJobs({
    jobs: store.namespace('audience-imports', { plainJson: true }),
    reports: store.namespace('audience-import-reports', { plainJson: true }),
    lists,
    bus,
    logger,
    folder: join(deps.dataDir, 'imports'),
    checkOnWhatsApp: deps.checkOnWhatsApp,
  });
  return { lists, optOuts, imports };
}
