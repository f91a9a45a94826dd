import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFallbackMailer } from "../../adapters/alerts/fallback-mailer.ts";
import { ledgerEntries, links, outboxJobs } from "../../src/db/schema/index.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { sendFallbacks } from "../../src/domain/jobs/fallback.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { pauseTarget, resumeTarget } from "../../src/domain/target-pauses.ts";
import { type LoopbackMail, startLoopbackSmtp } from "../../src/sandbox/loopback-smtp.ts";
import { drain } from "../support/deps.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { createHttpFixture, type HttpFixture } from "./http-admin-fixture.ts";

/**
 * The fallback channel against a real SMTP server on loopback: contractor-west (targets.yaml:
 * fallback after 30 minutes) is paused; its waiting work orders go by e-mail with the
 * allowlisted fields only; once it is back each is looked up before it is created, so one the
 * contractor keyed in from the e-mail is not created twice.
 */
let f: HttpFixture;
let deps: SiltaDeps;
let smtp: Awaited<ReturnType<typeof startLoopbackSmtp>>;
let mails: LoopbackMail[] = [];

beforeAll(async () => {
  smtp = await startLoopbackSmtp();
  mails = smtp.mails;
  f = await createHttpFixture();
  deps = { ...f.deps, fallbackMailer: createFallbackMailer({ smtpUrl: smtp.url, from: "silta@hel.fi" }) };
});
afterAll(async () => {
  await f?.dispose();
  await smtp?.close();
});

const settle = () => drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));

describe("fallback by e-mail", () => {
  it("e-mails a paused target's long-waiting work orders once, then creates them on return without a duplicate", async () => {
    await pauseTarget(deps, "admin:test", "contractor-west", { reason: "ERP migration", until: null });
    const [keyedIn, other] = [1, 2].map(() =>
      makeCase({
        ...PLACES.west,
        reporter: { firstName: "Maija", lastName: "Meikäläinen", email: "maija@example.fi", phone: "+358401234567" },
      }),
    );
    await f.deliver(keyedIn ?? makeCase(), other ?? makeCase());
    // Not yet 30 minutes: nothing is e-mailed.
    expect(await sendFallbacks(deps)).toBe(0);
    await f.database.rows(
      sql`update outbox_jobs set created_at = now() - interval '31 minutes' where target = 'contractor-west'`,
    );
    expect(await sendFallbacks(deps)).toBe(2);
    expect(await sendFallbacks(deps)).toBe(0);
    expect(mails).toHaveLength(2);
    const refs = (await f.database.db.select().from(links).where(eq(links.target, "contractor-west"))).map((l) => l.externalRef);
    for (const mail of mails) {
      expect(mail.to).toBe("paivystys@lansi-urakka.example.fi");
      expect(refs.some((ref) => mail.raw.includes(`X-Silta-Reference: ${ref}`))).toBe(true);
      expect(mail.raw).not.toContain("maija@example.fi");
      expect(mail.raw).not.toContain("+358401234567");
    }
    const fallbacks = await f.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.outcome, "fallback"));
    expect(fallbacks).toHaveLength(2);

    // The contractor keyed one order in by hand, under its reference, before its system came back.
    const keyedRef = refs[0] ?? "";
    await f.targets.west.createWorkOrder({ externalRef: keyedRef, serviceRequestId: "x", serviceCode: "171" }, keyedRef);
    const createsBefore = f.targets.west.calls.create;
    await resumeTarget(deps, "admin:test", "contractor-west");
    await settle();
    const westLinks = await f.database.db.select().from(links).where(eq(links.target, "contractor-west"));
    expect(westLinks.every((l) => l.state === "forwarded")).toBe(true);
    // One create for the order not keyed in; the keyed-in one was found by its reference.
    expect(f.targets.west.calls.create - createsBefore).toBe(1);
    for (const ref of refs) expect(f.targets.west.orders.get(ref)?.creates).toBe(1);
    const jobs = await f.database.db.select().from(outboxJobs).where(eq(outboxJobs.target, "contractor-west"));
    expect(jobs.every((j) => j.state === "done")).toBe(true);
    expect((await checkLedgerBalance(f.database)).balanced).toBe(true);
  });
});
