import { eq, sql } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { targetPauses } from "../db/schema/index.ts";
import { atMostEvery } from "../lib/at-most-every.ts";
import { type ActionResult, type Actor, boundedNote } from "./admin/actor.ts";
import { writeAudit } from "./admin/audit.ts";
import type { SiltaDeps } from "./deps.ts";
import { wakePausedTargetJobs } from "./jobs/store.ts";

/**
 * Pause and resume per target (planned maintenance, a contract change). While a target is
 * paused its jobs are not claimed (jobs/store.ts `PAUSED_TARGETS`), so they wait without
 * spending attempts; new work orders still queue up. Resuming, by hand or when the pause's
 * `until` passes, makes them due at once in the order they were created, with a fresh retry
 * horizon. The only writer of `target_pauses`; every change is audited.
 */

export interface TargetPause {
  target: string;
  reason: string;
  pausedBy: string;
  pausedAt: string;
  until: string | null;
}

/** The pauses in force now (an expired one is no longer in force, even before it is cleared). */
export async function listActivePauses(database: Database): Promise<TargetPause[]> {
  const rows = await database.db
    .select()
    .from(targetPauses)
    .where(sql`${targetPauses.until} is null or ${targetPauses.until} > now()`)
    .orderBy(targetPauses.target);
  return rows.map((row) => ({
    target: row.target,
    reason: row.reason,
    pausedBy: row.pausedBy,
    pausedAt: row.pausedAt.toISOString(),
    until: row.until?.toISOString() ?? null,
  }));
}

function knownTarget(deps: SiltaDeps, target: string): boolean {
  return deps.mappings.targets.has(target) || target === "case-system";
}

/** Pauses a target (or changes the reason and end of its pause). */
export async function pauseTarget(
  deps: SiltaDeps,
  actor: Actor,
  target: string,
  input: { reason: string; until: Date | null },
): Promise<ActionResult> {
  const subject = `target:${target}`;
  const reason = boundedNote(input.reason);
  return deps.database.db.transaction(async (tx) => {
    const refuse = async (result: string, message: string) => {
      await writeAudit(tx, { actor, action: "target.pause", subject, detail: { reason: message }, result });
      return { ok: false, subject, result, message };
    };
    if (!knownTarget(deps, target)) return refuse("not_found", "no such target in mappings/targets.yaml");
    if (!reason) return refuse("not_applicable", "a pause needs a reason (what is going on, whom to ask)");
    if (input.until && input.until.getTime() <= deps.now().getTime())
      return refuse("not_applicable", "the end time has already passed; give a later one, or none");
    await tx
      .insert(targetPauses)
      .values({ target, reason, pausedBy: actor, until: input.until })
      .onConflictDoUpdate({
        target: targetPauses.target,
        set: { reason, pausedBy: actor, pausedAt: sql`now()`, until: input.until },
      });
    await writeAudit(tx, {
      actor,
      action: "target.pause",
      subject,
      detail: { reason, until: input.until?.toISOString() ?? null },
      result: "paused",
    });
    const end = input.until ? `until ${input.until.toISOString()}` : "until someone resumes it";
    return { ok: true, subject, result: "paused", message: `${target} is paused ${end}; its jobs wait without spending retries` };
  });
}

async function resumeInTx(tx: Tx, actor: Actor, target: string, result: string): Promise<number> {
  const woken = await wakePausedTargetJobs(tx, target);
  await writeAudit(tx, { actor, action: "target.resume", subject: `target:${target}`, detail: { jobsWoken: woken }, result });
  return woken;
}

/** Resumes a paused target: its waiting jobs go out at once, oldest first. */
export async function resumeTarget(deps: SiltaDeps, actor: Actor, target: string): Promise<ActionResult> {
  const subject = `target:${target}`;
  return deps.database.db.transaction(async (tx) => {
    const [removed] = await tx.delete(targetPauses).where(eq(targetPauses.target, target)).returning();
    if (!removed) {
      await writeAudit(tx, {
        actor,
        action: "target.resume",
        subject,
        detail: { reason: "not paused" },
        result: "not_applicable",
      });
      return { ok: false, subject, result: "not_applicable", message: `${target} is not paused` };
    }
    const woken = await resumeInTx(tx, actor, target, "resumed");
    return {
      ok: true,
      subject,
      result: "resumed",
      message: `${target} resumed; ${woken} waiting job(s) go out now, oldest first`,
    };
  });
}

/**
 * Clears pauses whose end time has passed, as a resume by `system` would: the claim already
 * ignores them, and this gives their jobs a fresh retry horizon and writes the audit row.
 */
export async function endExpiredPauses(deps: SiltaDeps): Promise<string[]> {
  return deps.database.db.transaction(async (tx) => {
    const ended = await tx
      .delete(targetPauses)
      .where(sql`${targetPauses.until} <= now()`)
      .returning({ target: targetPauses.target });
    for (const { target } of ended) await resumeInTx(tx, "system", target, "expired");
    return ended.map((row) => row.target);
  });
}

/** `endExpiredPauses` at most every 30 s per deps: called from the work loops' rounds. */
export const endExpiredPausesNowAndThen = atMostEvery<SiltaDeps>(30_000, async (deps) => {
  const ended = await endExpiredPauses(deps);
  if (ended.length > 0) deps.log.info({ targets: ended }, "target pauses ended at their end time; their jobs go out now");
});
