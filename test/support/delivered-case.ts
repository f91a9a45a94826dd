import type { Database } from "../../src/db/client.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce } from "../../src/domain/jobs/work-loop.ts";
import { makeDeps } from "./deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "./fakes.ts";

/** One case taken in and delivered to contractor-east (both contractors faked): its deps, record and work-order reference. */
export async function deliveredEastCase(database: Database) {
  const deps = makeDeps(database, new FakeCaseSystem(), [
    new FakeWorkOrderSystem("contractor-east"),
    new FakeWorkOrderSystem("contractor-west"),
  ]);
  const record = makeCase(PLACES.east);
  await ingestCases(deps, [record]);
  await runWorkOnce(deps);
  return { deps, record, ref: `helsinki:${record.serviceRequestId}:contractor-east` };
}
