// The machine clock decides expiry and retention. A clock that moved backwards, or far forwards, since the last run
// would reject fresh uploads or delete young ones: such a run stops before it changes anything.
import type { Policy } from '../config/types.js';
import { ForgegateError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { formatDuration, toUtcString } from '../util/time.js';

/**
 * The line that runs once anyway, to paste as it is: the config in use (absolute, quoted for the shell); on GitHub
 * Actions, where nobody types it, the workflow's `accept-clock-jump` input (cron/github-workflow.yml).
 */
export function rerunFix(configPath: string, env: NodeJS.ProcessEnv): string {
  const command = `forgegate reconcile --config ${shellQuote(configPath)} --accept-clock-jump`;
  const actions =
    env['GITHUB_ACTIONS'] === 'true'
      ? ' On GitHub Actions: run the workflow by hand with "accept-clock-jump" ticked.'
      : '';
  return `If it is right, run once with \`${command}\` (later runs compare with that one).${actions}`;
}

export function checkClock(nowMs: number, lastRunMs: number | null, policy: Policy, rerun: string): void {
  if (lastRunMs === null) return;
  const drift = nowMs - lastRunMs;
  const when = `the system clock says ${toUtcString(nowMs)}, the last run started at ${toUtcString(lastRunMs)}`;
  // NTP may step the clock back a little; more than the skew allowed for signers is not a correction.
  if (drift < -policy.clockSkewMs) {
    throw new ForgegateError('FG_CLOCK', `the system clock moved backwards by ${formatDuration(-drift)}: ${when}`, {
      fix: `Fix the clock (timedatectl, chronyc tracking). ${rerun}`,
    });
  }
  if (drift > policy.maxClockJumpMs) {
    throw new ForgegateError(
      'FG_CLOCK',
      `the system clock is ${formatDuration(drift)} past the last run, more than policy.maxClockJump ` +
        `(${formatDuration(policy.maxClockJumpMs)}): ${when}`,
      {
        fix: `Check the clock (timedatectl, chronyc tracking); forgegate may just not have run for that long. ${rerun}`,
      },
    );
  }
}
