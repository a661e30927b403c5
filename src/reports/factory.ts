import type { ReportsConfig } from '../config/types.js';
import { GitHubGraphQL } from '../github/client.js';
import { GitHubReports } from '../github/reports.js';
import type { ReportSink } from '../model.js';
import { githubToken } from '../registry/factory.js';
import { DirectoryOutbox } from './directory-outbox.js';

export interface ReportDeps {
  env: NodeJS.ProcessEnv;
}

export function createReportSink(config: ReportsConfig, deps: ReportDeps): ReportSink {
  switch (config.type) {
    case 'directory':
      return new DirectoryOutbox(config.path);
    case 'github':
      return new GitHubReports(
        new GitHubGraphQL({ url: config.url, token: githubToken(config.tokenEnv, 'reports', deps.env) }),
        config.repositoryTemplate,
        config.adminRepository,
      );
  }
}
