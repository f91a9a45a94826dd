import type { Open311UpdateStatus } from "../../../src/ports/case-system.ts";
import { splitDetailedStatus } from "../parse.ts";
import { toHelsinkiIso } from "./helsinki-time.ts";
import type { StoredCase, WireExtendedAttributes, WireTask } from "./store.ts";
import { worksStatusForUpdate } from "./update-status-map.ts";

/**
 * The changes the city side makes to a case: a service request update written back by Silta,
 * and the desk closing or cancelling a case. Each change moves `updated_datetime` and appends a
 * task, as Helsinki's own system did, so that pollers see it in their next window.
 */

/** The owner Helsinki's history shows for field work (the city's own works contractor). */
export const WORKS_OWNER = "Stara";
/** The owner of the desk's own steps and of the hand-off to public works. */
export const DESK_OWNER = "Rakennusvirasto";

function extendedOf(stored: StoredCase): WireExtendedAttributes {
  const current = stored.record.extended_attributes;
  if (current !== undefined && current !== null) return current;
  const created: WireExtendedAttributes = {};
  stored.record.extended_attributes = created;
  return created;
}

function appendTask(stored: StoredCase, task: WireTask): void {
  const extended = extendedOf(stored);
  extended.tasks = [...(extended.tasks ?? []), task];
}

/** The desk part of the case's `detailed_status`, falling back on what `status` implies. */
function deskStatusOf(stored: StoredCase): string {
  const { deskStatus } = splitDetailedStatus(stored.record.extended_attributes?.detailed_status ?? null);
  if (deskStatus !== null) return deskStatus;
  return stored.record.status === "closed" ? "PROCESSED" : "IN_PROCESS";
}

export interface IncomingUpdate {
  status: Open311UpdateStatus;
  description: string;
  externalStatusCode: string | null;
}

/**
 * Reflects a service request update into the case: `detailed_status` keeps the desk part and
 * gains the mapped `PUBLIC_WORKS_*` part, `status_notes` becomes the update's text,
 * `updated_datetime` moves to now, and one task is appended. The first works state of a case
 * appends `moved_to_other_system` (Helsinki shows that task exactly when a works state appears);
 * later ones append an `informed` task by the works owner. `status` is left alone: in Helsinki it
 * follows the feedback desk only.
 */
export function applyServiceRequestUpdate(stored: StoredCase, update: IncomingUpdate, nowMs: number): void {
  const extended = extendedOf(stored);
  const previous = splitDetailedStatus(extended.detailed_status ?? null);
  const works = worksStatusForUpdate(update.status, update.externalStatusCode) ?? previous.worksStatus;
  const desk = deskStatusOf(stored);
  extended.detailed_status = works !== null ? `${desk},${works}` : desk;
  const now = toHelsinkiIso(nowMs);
  stored.record.status_notes = update.description;
  stored.record.updated_datetime = now;
  const handedOver = (extended.tasks ?? []).some((task) => task.task_type === "moved_to_other_system");
  appendTask(
    stored,
    handedOver || works === null
      ? { task_created: now, task_modified: now, owner_name: WORKS_OWNER, task_type: "informed", task_state: "completed" }
      : {
          task_created: now,
          task_modified: now,
          owner_name: DESK_OWNER,
          task_type: "moved_to_other_system",
          task_state: "completed",
        },
  );
}

/**
 * The desk closes the case as handled: `status` closed, desk part `PROCESSED` (any works part
 * kept: closing at the desk says nothing about field work).
 */
export function closeCaseAtDesk(stored: StoredCase, note: string | null, nowMs: number): void {
  const extended = extendedOf(stored);
  const { worksStatus } = splitDetailedStatus(extended.detailed_status ?? null);
  extended.detailed_status = worksStatus !== null ? `PROCESSED,${worksStatus}` : "PROCESSED";
  const now = toHelsinkiIso(nowMs);
  stored.record.status = "closed";
  if (note !== null) stored.record.status_notes = note;
  stored.record.updated_datetime = now;
  appendTask(stored, {
    task_created: now,
    task_modified: now,
    owner_name: DESK_OWNER,
    task_type: "informed",
    task_state: "closed",
  });
}

/**
 * The desk reopens a case it had closed (the citizen says the fault is still there): `status`
 * open again, desk part back to `IN_PROCESS` (works part kept), a task recording it. On a plain
 * server only `status` and the time move.
 */
export function reopenCaseAtDesk(stored: StoredCase, note: string | null, nowMs: number, plain: boolean): void {
  const now = toHelsinkiIso(nowMs);
  stored.record.status = "open";
  if (note !== null) stored.record.status_notes = note;
  stored.record.updated_datetime = now;
  if (plain) return;
  const extended = extendedOf(stored);
  const { worksStatus } = splitDetailedStatus(extended.detailed_status ?? null);
  extended.detailed_status = worksStatus !== null ? `IN_PROCESS,${worksStatus}` : "IN_PROCESS";
  appendTask(stored, {
    task_created: now,
    task_modified: now,
    owner_name: DESK_OWNER,
    task_type: "reopened",
    task_state: "open",
  });
}

/**
 * The city withdraws the case (a duplicate, a mistake, someone else's land): `status` closed and
 * `detailed_status` exactly `REJECTED`, with no works part, so a bridge can tell "cancel the
 * field work" apart from "the desk is done". REJECTED is documented by Helsinki but was not seen
 * in use; the simulator uses it as the cancellation signal.
 */
export function cancelCaseAtDesk(stored: StoredCase, note: string | null, nowMs: number): void {
  const extended = extendedOf(stored);
  extended.detailed_status = "REJECTED";
  const now = toHelsinkiIso(nowMs);
  stored.record.status = "closed";
  if (note !== null) stored.record.status_notes = note;
  stored.record.updated_datetime = now;
  appendTask(stored, {
    task_created: now,
    task_modified: now,
    owner_name: DESK_OWNER,
    task_type: "informed",
    task_state: "closed",
  });
}

/**
 * A plain GeoReport v2 server (`closedMeans: "resolved"`) closes a case: `status` closed, the
 * note in `status_notes`, `updated_datetime` moved. No `detailed_status` and no task: such a
 * server has no way to say more, so a withdrawal looks the same as a resolution.
 */
export function closeCasePlain(stored: StoredCase, note: string | null, nowMs: number): void {
  stored.record.status = "closed";
  if (note !== null) stored.record.status_notes = note;
  stored.record.updated_datetime = toHelsinkiIso(nowMs);
}

/**
 * A service request update on a plain GeoReport v2 server that has mySociety's extension: the
 * text becomes `status_notes` and `updated_datetime` moves; `status` follows the city only.
 */
export function applyPlainServiceRequestUpdate(stored: StoredCase, update: IncomingUpdate, nowMs: number): void {
  stored.record.status_notes = update.description;
  stored.record.updated_datetime = toHelsinkiIso(nowMs);
}
