// Where a reader of a report finds every failure a run found: the reconciler's own CI run, when it runs in GitHub
// Actions (its step summary lists them all). Built only from the runner's variables, each checked.

/** `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`, or null outside GitHub Actions. */
export function reconcilerRunUrl(env: NodeJS.ProcessEnv): string | null {
  const server = env['GITHUB_SERVER_URL'] ?? '';
  const repository = env['GITHUB_REPOSITORY'] ?? '';
  const run = env['GITHUB_RUN_ID'] ?? '';
  if (!/^https:\/\/[A-Za-z0-9.-]+(?::\d+)?$/.test(server)) return null;
  if (!/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/.test(repository) || !/^\d{1,20}$/.test(run)) return null;
  return `${server}/${repository}/actions/runs/${run}`;
}
