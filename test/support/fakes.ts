import { SiltaError } from "../../src/kernel/errors.ts";
import type { CaseRecord, CaseStatusUpdate, CaseSystem } from "../../src/ports/case-system.ts";
import type { FieldEvent, RemoteWorkOrder, WorkOrderPayload, WorkOrderSystem } from "../../src/ports/work-order-system.ts";

/**
 * In-memory stand-ins for the ports, for integration tests of the core's own logic on a real
 * database. End-to-end tests use the simulators over real HTTP instead.
 */
export class FakeCaseSystem implements CaseSystem {
  readonly cases = new Map<string, CaseRecord>();
  readonly updates: CaseStatusUpdate[] = [];
  failures: SiltaError[] = [];
  /** Ids that `getCases` lists leave out, as Helsinki's lists leave out a pre-moderated case. */
  readonly unlisted = new Set<string>();
  readonly reads = { getCase: 0, getCases: 0 };

  async listChangedCases(_since?: Date, _until?: Date): Promise<CaseRecord[]> {
    return [...this.cases.values()];
  }
  async getCase(id: string): Promise<CaseRecord | null> {
    this.reads.getCase++;
    return this.cases.get(id) ?? null;
  }
  async getCases(ids: readonly string[]): Promise<CaseRecord[]> {
    this.reads.getCases++;
    return ids.flatMap((id) => {
      const record = this.cases.get(id);
      return record && !this.unlisted.has(id) ? [record] : [];
    });
  }
  async postStatusUpdate(update: CaseStatusUpdate): Promise<{ updateId: string }> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (!this.updates.some((u) => u.updateId === update.updateId)) this.updates.push(update);
    return { updateId: update.updateId };
  }
}

export class FakeWorkOrderSystem implements WorkOrderSystem {
  readonly targetId: string;
  readonly orders = new Map<string, { order: RemoteWorkOrder; payload: WorkOrderPayload; creates: number; cancelled: boolean }>();
  /** Failures thrown by the next calls, in order; `commitThenFail` creates the order and still throws. */
  failures: { error: SiltaError; commitThenFail?: boolean }[] = [];
  calls = { create: 0, find: 0, cancel: 0 };

  constructor(targetId: string) {
    this.targetId = targetId;
  }

  async createWorkOrder(payload: WorkOrderPayload, idempotencyKey: string): Promise<RemoteWorkOrder> {
    this.calls.create++;
    const failure = this.failures.shift();
    if (failure && !failure.commitThenFail) throw failure.error;
    const existing = this.orders.get(idempotencyKey);
    if (existing) {
      existing.creates++;
    } else {
      this.orders.set(idempotencyKey, {
        order: { workOrderId: `WO-${this.orders.size + 1}`, externalRef: payload.externalRef, statusCode: "NEW" },
        payload,
        creates: 1,
        cancelled: false,
      });
    }
    if (failure) throw failure.error;
    const stored = this.orders.get(idempotencyKey);
    if (!stored) throw new Error("unreachable");
    return stored.order;
  }
  async findByExternalRef(ref: string): Promise<RemoteWorkOrder | null> {
    this.calls.find++;
    return this.orders.get(ref)?.order ?? null;
  }
  async cancelWorkOrder(order: { externalRef: string }): Promise<void> {
    this.calls.cancel++;
    const stored = this.orders.get(order.externalRef);
    if (!stored) throw new SiltaError("target_not_found", "no such order", { httpStatus: 404 });
    stored.cancelled = true;
  }
  async verifyWebhook(): Promise<FieldEvent[]> {
    return [];
  }
}

/**
 * Default case time: an hour before the test run, to the second. A fixed date turns into an
 * overdue case once the wall clock passes it plus the 7-day SLA, and SLA findings then appear
 * in tests that are about something else.
 */
export const RECENT_AT = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000).toISOString();

/** `at` moved by `hours`, as ISO; for "the city changed the case later". */
export function laterThan(at: string | null, hours = 24): string {
  return new Date(Date.parse(at ?? RECENT_AT) + hours * 3_600_000).toISOString();
}

let seq = 0;
/** A routable case in the given area; override anything. Ids follow Helsinki's 20-character form. */
export function makeCase(overrides: Partial<CaseRecord> = {}): CaseRecord {
  seq++;
  return {
    serviceRequestId: `t${String(seq).padStart(19, "0")}`,
    status: "open",
    statusNotes: null,
    serviceCode: "171",
    serviceName: "Potholes",
    title: "Kuoppa ajoradalla",
    description: "Syvä kuoppa ajoradalla suojatien vieressä.",
    agencyResponsible: null,
    requestedAt: RECENT_AT,
    updatedAt: RECENT_AT,
    expectedAt: null,
    address: "Itäkatu 1, 00930 Helsinki",
    addressId: null,
    zipcode: null,
    lat: 60.21,
    long: 25.08,
    mediaUrls: [],
    deskStatus: "RECEIVED",
    worksStatus: null,
    detailedStatusRaw: "RECEIVED",
    tasks: [],
    serviceObjectId: null,
    serviceObjectType: null,
    reporter: null,
    ...overrides,
  };
}

/** Points well inside the illustrative areas of mappings/areas.geojson. */
export const PLACES = {
  east: { lat: 60.21, long: 25.08 },
  west: { lat: 60.22, long: 24.85 },
  centre: { lat: 60.168, long: 24.94 },
  northCentral: { lat: 60.21, long: 24.97 },
} as const;
