/**
 * What the Cloudflare Worker runs besides answering requests, each task on its own: one failing
 * (the Open311 source down, a target refusing) never keeps the others from running, and every
 * failure is logged through Silta's logger. No `node:`
imports: this bundles for workerd.
 */

import type { SiltaConfig } from "../config/config.ts";
import { describeFailure } from "../db/describe-database-error.ts";
import { evaluateAlerts } from "../domain/alerts/evaluate-alerts.ts";
import type { SiltaDeps } from "../domain/deps.ts";
import { applyPendingFieldEvents } from "../domain/field-status/apply-events.ts";
import { reReadSource } from "../domain/intake/anti-entropy.ts";
import { pollCaseSystem } from "../domain/intake/poll.ts";
import { runDueJobs } from "../domain/jobs/lifecycle.ts";
import { reconcileOpenLinks } from "../domain/reconcile/reconcile.ts";
import { purgeExpiredPersonalData } from "../domain/retention.ts";

/**
 * The Worker's cron triggers (wrangler.toml lists exactly these; a test keeps them equal): every
 * minute intake and work, every 15 minutes reconciliation, nightly the anti-entropy re-read and
 * retention.
 */
export const WORKER_CRONS = { work: "* * * * *", reconcile: "*/15 * * * *", nightly: "20 2 * * *" } as const;

export interface TaskOutcome {
  task: string;
  ok: boolean;
  ms: number;
  /** A short summary or the error's message (codes and counts, never case text). */
  detail: string;
}

type Task = [name: string, run: () => Promise<string>];

/** Runs tasks one after another; `trigger` (a cron, or `request`) goes into each log line. */
async function runTasks(deps: SiltaDeps, tasks: readonly Task[], trigger: string): Promise<TaskOutcome[]> {
  const outcomes: TaskOutcome[] = [];
  for (const [task, run] of tasks) {
    const started = Date.now();
    try {
      const detail = await run();
      outcomes.push({ task, ok: true, ms: Date.now() - started, detail });
      deps.log.info({ task, trigger, ms: Date.now() - started, detail }, "worker task done");
    } catch (error) {
      // As the Node runtime logs its scheduled runs: codes and short messages, never a query's parameters.
      const detail = describeFailure(error);
      outcomes.push({ task, ok: false, ms: Date.now() - started, detail });
      deps.log.error({ task, trigger, ms: Date.now() - started, err: detail }, "worker task failed; the others still run");
    }
  }
  return outcomes;
}

/** Applies received field events until none are left or the time is up; returns how many. */
async function applyEventsFor(deps: SiltaDeps, until: number): Promise<number> {
  let applied = 0;
  do {
    const summary = await applyPendingFieldEvents(deps);
    const n = Object.values(summary).reduce((sum, count) => sum + count, 0);
    applied += n;
    if (n === 0) break;
  } while (Date.now() < until);
  return applied;
}

/** Runs due jobs (creates, cancels, write-backs) until none are due or the time is up; returns how many ran. */
async function runJobsFor(deps: SiltaDeps, until: number): Promise<number> {
  let ran = 0;
  do {
    const summary = await runDueJobs(deps);
    ran += summary.claimed - summary.deferred - summary.released;
    if (summary.claimed === summary.deferred + summary.released) break;
  } while (Date.now() < until);
  return ran;
}

/** Events, then jobs, for `budgetMs` at most: a request's kick and the cron's work share this. */
export function workTasks(deps: SiltaDeps, budgetMs: number): Task[] {
  const until = Date.now() + budgetMs;
  return [
    ["apply field events", async () => `${await applyEventsFor(deps, until)} events`],
    // Jobs get at least a few seconds even when events used the budget up.
    ["run jobs", async () => `${await runJobsFor(deps, Math.max(until, Date.now() + Math.min(5_000, budgetMs)))} jobs`],
  ];
}

/** The minute's alert evaluation (the Worker posts alerts to the webhook; e-mail is the Node service's). */
export function alertTask(deps: SiltaDeps, config: SiltaConfig): Task {
  return [
    "evaluate alerts",
    async () => {
      const outcome = await evaluateAlerts(deps, {
        deadLetterThreshold: config.alerts.deadLetterThreshold,
        maxNoticesPerHour: config.alerts.maxNoticesPerHour,
      });
      return `${outcome.raised} raised, ${outcome.recovered} recovered, ${outcome.notified} sent`;
    },
  ];
}

/** What one cron trigger runs, each task isolated from the others' failures. */
export function scheduledTasks(deps: SiltaDeps, config: SiltaConfig, cron: string): Task[] {
  if (cron === WORKER_CRONS.reconcile) {
    return [
      [
        "reconcile",
        async () => {
          const report = await reconcileOpenLinks(deps, { repair: true });
          return `${report.current.length} findings open, ${report.repairs.queued} repairs queued`;
        },
      ],
      ...workTasks(deps, config.workerTimeBudgetMs / 2),
    ];
  }
  if (cron === WORKER_CRONS.nightly) {
    return [
      [
        "anti-entropy re-read",
        async () => {
          const coverage = await reReadSource(deps, config.antiEntropy);
          return `${coverage.sourceCases} at the source, ${coverage.accountedFor} accounted for, ${coverage.missing} missed`;
        },
      ],
      [
        "retention",
        async () => {
          const summary = await purgeExpiredPersonalData(deps, { days: config.retention.days });
          return `${summary.cases} cases purged`;
        },
      ],
    ];
  }
  return [
    [
      "poll",
      async () => {
        const summary = await pollCaseSystem(deps);
        return `${summary.new} new, ${summary.updated} updated`;
      },
    ],
    ...workTasks(deps, config.workerTimeBudgetMs),
    alertTask(deps, config),
  ];
}

/** Runs a cron trigger's tasks; unknown crons run the every-minute tasks. */
export function runScheduled(deps: SiltaDeps, config: SiltaConfig, cron: string): Promise<TaskOutcome[]> {
  return runTasks(deps, scheduledTasks(deps, config, cron), cron);
}

/** Starts the work a request queued (an accepted webhook, event or push) at once, for half the budget. */
export function runKick(deps: SiltaDeps, config: SiltaConfig): Promise<TaskOutcome[]> {
  return runTasks(deps, workTasks(deps, config.workerTimeBudgetMs / 2), "request");
}
