import type { ReportsConfig } from '../config/types.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ReportSink } from '../model.js';
import { DirectoryOutbox } from './directory-outbox.js';

export interface ReportDeps {
  env: NodeJS.ProcessEnv;
  ledger: Ledger;
}

export function createReportSink(config: ReportsConfig, deps: ReportDeps): ReportSink {
  switch (config.type) {
    case 'directory':
      return new DirectoryOutbox(config.path);
    case 'github':
      void deps;
      throw new Error('github reports: not wired yet');
  }
}
