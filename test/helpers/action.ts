// Runs a composite GitHub Action's `run:` steps locally, the way the runner does: each step's script through
// `bash --noprofile --norc -eo pipefail`, its `env:` evaluated, GITHUB_PATH additions on the PATH of later steps, and
// the first failing step ending the action. Only the expressions action.yml may use are understood
// (`${{ inputs.NAME }}`, `${{ github.action_path }}`, `${{ github.token }}`); any other is an error, not a guess.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import YAML from 'yaml';

interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string;
}
interface ActionStep {
  name?: string;
  shell?: string;
  env?: Record<string, string>;
  run?: string;
  uses?: string;
  if?: string;
}
export interface Action {
  name: string;
  inputs: Record<string, ActionInput>;
  runs: { using: string; steps: ActionStep[] };
}

export function readAction(path: string): Action {
  return YAML.parse(readFileSync(path, 'utf8')) as Action;
}

export interface StepResult {
  name: string;
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunActionOptions {
  actionPath: string;
  /** The `with:` of the calling step. */
  with: Record<string, string>;
  /** The environment of the calling step (its `env:` plus the runner's), e.g. the secrets it maps. */
  env: Record<string, string>;
  runnerTemp: string;
  githubToken?: string;
}

/** Evaluate `${{ … }}` in one value of a step's env. */
function evaluate(value: string, action: Action, opts: RunActionOptions): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
    const input = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr);
    if (input) {
      const name = input[1]!;
      const spec = action.inputs[name];
      if (spec === undefined) throw new Error(`action.yml uses inputs.${name}, which it does not declare`);
      const given = opts.with[name];
      if (given !== undefined) return given;
      if (spec.required) throw new Error(`input ${name} is required`);
      return spec.default === undefined ? '' : evaluate(spec.default, action, opts);
    }
    if (expr === 'github.action_path') return opts.actionPath;
    if (expr === 'github.token') return opts.githubToken ?? '';
    throw new Error(`unsupported expression in action.yml: \${{ ${expr} }}`);
  });
}

/** Run every step; stop at the first that fails (as a composite action does). */
export function runAction(action: Action, opts: RunActionOptions): StepResult[] {
  if (action.runs.using !== 'composite') throw new Error(`not a composite action: ${action.runs.using}`);
  for (const name of Object.keys(opts.with))
    if (action.inputs[name] === undefined) throw new Error(`with: ${name} is not an input of the action`);
  for (const [name, spec] of Object.entries(action.inputs))
    if (spec.required && opts.with[name] === undefined) throw new Error(`required input ${name} not given`);
  mkdirSync(opts.runnerTemp, { recursive: true });
  const githubPath = join(opts.runnerTemp, '_github_path');
  writeFileSync(githubPath, '');
  const results: StepResult[] = [];
  for (const [i, step] of action.runs.steps.entries()) {
    if (step.run === undefined || step.uses !== undefined || step.if !== undefined)
      throw new Error(`step ${i} is not a plain run: step (this harness runs only those)`);
    if (step.shell !== 'bash') throw new Error(`step ${i} does not use shell: bash`);
    const added = readFileSync(githubPath, 'utf8').split('\n').filter(Boolean).reverse();
    const env: Record<string, string> = {
      ...opts.env,
      RUNNER_TEMP: opts.runnerTemp,
      GITHUB_PATH: githubPath,
      GITHUB_ACTION_PATH: opts.actionPath,
      PATH: [...added, opts.env['PATH'] ?? ''].join(delimiter),
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(v, action, opts);
    const script = join(opts.runnerTemp, `_step-${i}.sh`);
    writeFileSync(script, step.run);
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { env, encoding: 'utf8' });
    results.push({ name: step.name ?? `step ${i}`, status: r.status, stdout: r.stdout, stderr: r.stderr });
    if (r.status !== 0) break;
  }
  return results;
}
