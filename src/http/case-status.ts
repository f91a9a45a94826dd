import { type CaseView, caseView } from "../domain/admin/case-view.ts";
import type { SiltaDeps } from "../domain/deps.ts";
import { caseVersion } from "./cases/case-page.ts";

/**
 * The JSON twin of the handler's case page (`/api/v1/cases/{id}`): work orders with field status,
 * SLA state and last sync, and every hop with its time. Ids, codes and times only: no citizen data.
 * `version` changes whenever what the page shows changes (the page polls it).
 */
export async function caseFieldStatus(deps: SiltaDeps, caseId: string): Promise<(CaseView & { version: string }) | null> {
  const view = await caseView(deps.database, deps.mappings, caseId, deps.now());
  return view ? { ...view, version: caseVersion(view) } : null;
}
