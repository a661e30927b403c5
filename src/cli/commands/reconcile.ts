import { appendFile } from 'node:fs/promises';
import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError, SIGNAL_EXIT } from '../../errors.js';
import { reconcile } from '../../reconcile/run.js';
import { renderInterruption, renderMarkdownSummary, renderTextSummary } from '../summary.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { SIGNAL_EXIT_LINES } from '../exit-codes.js';
import { progress, warn, type Io } from '../io.js';
import { timeFlag } from '../time-flags.js';

const usage = `forgegate reconcile --config C [--plan [--at T] [--detailed-exitcode] [--step-summary]]
                    [--json | --quiet] [--accept-clock-jump]

Lists everything in staging, verifies it against the registry and works out one decision per artifact
(publish, cleanup, reject, wait; a rejection past rejectRetention also deletes the upload); without --plan it
then applies the plan.
--plan changes nothing: it opens the ledger read-only (none at all if there is none yet), and reads the staged
bytes of every artifact it would publish, so it predicts ARTIFACT_INVALID, ARTIFACT_UNSAFE and DIGEST_MISMATCH
(an item it could not read says "not inspected"). --detailed-exitcode (with --plan): exit 0 when applying would
change nothing, 2 when it would publish, clean up or delete something. --at (with --plan; --now is its old
spelling) evaluates time as if it were then, to preview expiry and retention; applying always uses the machine's
clock. --json prints the plan/result as {"formatVersion": 1, "items": [...]}; --quiet (for cron logs) prints only
what is news: publications, cleanups, deletions, new rejections, failures, alerts and new strays, and nothing at all
when there is none (a rejection an earlier run already made is not repeated; \`ledger failures\` lists them all).
Tables fit the terminal (COLUMNS, or its width); a file or a pipe gets whole lines. Progress lines show on a
terminal only and are erased when done.
A run whose clock moved backwards, or more than policy.maxClockJump forwards, since the last run stops (exit 9);
--accept-clock-jump runs anyway, once the clock is known to be right.
When GITHUB_STEP_SUMMARY is set, an applying run appends a Markdown summary there (a plan only with
--step-summary); a summary that cannot be written is a warning and never changes the exit code.
Ctrl-C (SIGINT) or SIGTERM stops the run: it says what was finished and what the next run will do, and marks the
run interrupted in the ledger (exit 130 / 143).`;

async function writeStepSummary(io: Io, text: string): Promise<void> {
  const file = io.env['GITHUB_STEP_SUMMARY'];
  if (!file) return;
  try {
    await appendFile(file, text);
  } catch (e) {
    warn(
      io,
      'FG_STEP_SUMMARY',
      `cannot write the step summary to ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Point GITHUB_STEP_SUMMARY at a writable file, or unset it. The run itself is unaffected.',
    );
  }
}

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'Plan and apply: publish, clean up, reject or wait for everything staged.',
  usage,
  examples: [
    'forgegate reconcile --config forgegate.yml --plan                      # what a run would do now',
    'forgegate reconcile --config forgegate.yml --plan --detailed-exitcode  # exit 2 when changes are pending',
    'forgegate reconcile --config forgegate.yml --plan --at 7d              # what a week from now would delete',
    'forgegate reconcile --config forgegate.yml                             # apply',
    'forgegate reconcile --config /etc/forgegate/forgegate.yml --quiet      # what cron runs: news only',
    'forgegate reconcile --config forgegate.yml --json | jq .summary',
  ],
  exitCodes: [
    ExitCode.OK,
    ExitCode.CHANGES_PENDING,
    ExitCode.USAGE,
    ExitCode.REGISTRY_UNAVAILABLE,
    ExitCode.LOCKED,
    ExitCode.PARTIAL,
    ExitCode.SECURITY_ALERT,
    ExitCode.STORE_UNAVAILABLE,
    ExitCode.LEDGER_UNUSABLE,
    ExitCode.CLOCK_UNTRUSTED,
    ExitCode.UNSAFE_LAYOUT,
    ExitCode.PERMISSION,
  ],
  extraExits: SIGNAL_EXIT_LINES,
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        config: { type: 'string' },
        plan: { type: 'boolean' },
        json: { type: 'boolean' },
        at: { type: 'string' },
        'accept-clock-jump': { type: 'boolean' },
        'detailed-exitcode': { type: 'boolean' },
        'step-summary': { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
      usage,
      { aliases: { now: 'at' } },
    );
    const configPath = required(values, 'config', usage);
    const planOnly = Boolean(values['plan']);
    const nowText = optional(values, 'at');
    // A fake clock decides expiry and retention: previewing with one is useful, applying with one deletes uploads.
    if (nowText !== undefined && !planOnly)
      throw new ForgegateError('FG_USAGE', '--at only previews: it needs --plan', {
        fix: "Add --plan to preview at that time; applying always uses the machine's clock.",
      });
    for (const flag of ['detailed-exitcode', 'step-summary'])
      if (values[flag] && !planOnly)
        throw new ForgegateError('FG_USAGE', `--${flag} goes with --plan`, {
          fix: `Add --plan, or drop --${flag}${flag === 'step-summary' ? ' (an applying run always writes one)' : ''}.`,
        });
    const json = Boolean(values['json']);
    const quiet = Boolean(values['quiet']);
    if (json && quiet)
      throw new ForgegateError('FG_USAGE', '--quiet and --json do not go together', {
        fix: "Drop --quiet: --json is always the whole result (jq '.items[] | select(.seenBefore | not)' filters it).",
      });
    const nowMs = timeFlag(nowText, '--at', Date.now(), 'future');
    const config = await loadConfig(configPath);
    const onProgress = json ? undefined : progress(io);
    const result = await reconcile(config, {
      planOnly,
      acceptClockJump: Boolean(values['accept-clock-jump']),
      env: io.env,
      ...(nowMs !== undefined ? { nowMs } : {}),
      ...(onProgress ? { onProgress } : {}),
      onInterrupt: (interruption) => {
        onProgress?.clear();
        const message = renderInterruption(interruption);
        const exitCode = SIGNAL_EXIT[interruption.signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM'];
        if (json) {
          const error = { code: 'FG_INTERRUPTED', message, fix: 'Run it again.' };
          io.out(JSON.stringify({ formatVersion: 1, error, exitCode }, null, 2));
        }
        io.err(message);
      },
    });
    onProgress?.clear();
    const text = json ? JSON.stringify(result, null, 2) : renderTextSummary(result, { quiet, width: io.width });
    if (text !== '') io.out(text);
    if (!planOnly || values['step-summary']) await writeStepSummary(io, renderMarkdownSummary(result));
    if (planOnly && values['detailed-exitcode'] && result.exitCode === ExitCode.OK && result.changesPending)
      return ExitCode.CHANGES_PENDING;
    return result.exitCode;
  },
};
