import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "silta-shutdown-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("graceful shutdown of `silta start`", () => {
  it("on SIGTERM stops the work loop and the server, closes the database and exits 0", async () => {
    const secret = generateWebhookSecret();
    // A clean environment: the embedded database whatever the suite runs on, and none of the test
    // runner's variables (inherited, they made the child die of the signal it should handle).
    const inherited = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
    const child = spawn(process.execPath, [join(ROOT, "src/cli/silta.ts"), "start"], {
      cwd: ROOT,
      env: {
        ...inherited,
        SILTA_DATA_DIR: dataDir,
        SILTA_PORT: "0",
        SILTA_LOG_LEVEL: "silent",
        SILTA_OPEN311_URL: "http://127.0.0.1:9",
        SILTA_TARGET_STARA_URL: "http://127.0.0.1:9",
        SILTA_TARGET_STARA_TOKEN: "t",
        SILTA_TARGET_STARA_WEBHOOK_SECRETS: secret,
        SILTA_TARGET_CONTRACTOR_EAST_URL: "http://127.0.0.1:9",
        SILTA_TARGET_CONTRACTOR_EAST_WEBHOOK_SECRETS: secret,
        SILTA_TARGET_CONTRACTOR_WEST_URL: "http://127.0.0.1:9",
        SILTA_TARGET_CONTRACTOR_WEST_WEBHOOK_SECRETS: secret,
        SILTA_TARGET_STARA_ALLOW_PRIVATE: "true",
        SILTA_TARGET_CONTRACTOR_EAST_ALLOW_PRIVATE: "true",
        SILTA_TARGET_CONTRACTOR_WEST_ALLOW_PRIVATE: "true",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const listening = new Promise<void>((resolve, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("Silta is listening")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
    });
    const exited = new Promise<number | string | null>((resolve) =>
      child.once("exit", (code, signal) => resolve(code ?? signal)),
    );
    await listening;
    child.kill("SIGTERM");
    const exit = await exited;
    expect({ exit, stderr }).toMatchObject({ exit: 0 });
    expect(stderr).toContain("Silta stopped");
  }, 60_000);
});
