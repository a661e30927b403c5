import { appendFile } from 'node:fs/promises';
import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { reconcile } from '../../reconcile/run.js';
import { renderMarkdownSummary, renderTextSummary } from '../../reconcile/summary.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { progress } from '../io.js';
import { timeFlag } from '../time-flags.js';

const usage = `forgegate reconcile --config C [--plan [--now RFC3339]] [--json] [--accept-clock-jump]

Lists everything in staging, verifies it against the registry and works out one decision per artifact
(publish, cleanup, reject, wait); without --plan it then applies the plan. --json prints the plan/result as
JSON ({"formatVersion": 1, "items": [...]}). --now (with --plan only) evaluates time as if it were then, to
preview expiry and retention; applying always uses the machine's clock. A run whose clock moved backwards, or
more than policy.maxClockJump forwards, since the last run stops (exit 9); --accept-clock-jump runs anyway, once
the clock is known to be right.
When GITHUB_STEP_SUMMARY is set, a Markdown summary is appended there.
Exit: 0 ok · 2 usage or config error · 3 registry unavailable · 4 another run holds the lock ·
      5 transient failures · 6 security alert · 7 store unavailable · 8 ledger unusable ·
      9 clock moved since the last run · 10 unsafe staging or quarantine layout`;

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'Plan and apply: publish, clean up, reject or wait for everything staged.',
  usage,
  examples: ['forgegate reconcile --config forgegate.yml --plan', 'forgegate reconcile --config forgegate.yml'],
  exitCodes: [ExitCode.OK, ExitCode.USAGE],
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        config: { type: 'string' },
        plan: { type: 'boolean' },
        json: { type: 'boolean' },
        at: { type: 'string' },
        'accept-clock-jump': { type: 'boolean' },
      },
      usage,
      { aliases: { now: 'at' } },
    );
    const configPath = required(values, 'config', usage);
    const nowText = optional(values, 'at');
    // A fake clock decides expiry and retention: previewing with one is useful, applying with one deletes uploads.
    if (nowText !== undefined && !values['plan'])
      throw new ForgegateError('FG_USAGE', '--at only previews: it needs --plan', {
        fix: "Add --plan to preview at that time; applying always uses the machine's clock.",
      });
    const nowMs = timeFlag(nowText, '--at', Date.now(), 'future');
    const config = await loadConfig(configPath);
    const show = values['json'] ? undefined : progress(io);
    const onProgress = show ? (done: number, total: number) => show('applying', done, total) : undefined;
    const result = await reconcile(config, {
      planOnly: Boolean(values['plan']),
      acceptClockJump: Boolean(values['accept-clock-jump']),
      env: io.env,
      ...(nowMs !== undefined ? { nowMs } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    io.out(values['json'] ? JSON.stringify(result, null, 2) : renderTextSummary(result));
    const summaryFile = io.env['GITHUB_STEP_SUMMARY'];
    if (summaryFile) await appendFile(summaryFile, renderMarkdownSummary(result));
    return result.exitCode;
  },
};
