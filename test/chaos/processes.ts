import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";

export interface Child {
  process: ChildProcess;
  /** The first JSON line the child printed (its address). */
  hello: Record<string, string>;
  exited: Promise<number | null>;
}

/**
 * Starts `node <script> …args` and resolves with the first JSON line it prints on stdout (the
 * simulators and Silta's chaos child print their address that way). Stderr goes to `logFile`.
 */
export function startChild(script: string, args: string[], env: Record<string, string>, logFile: string): Promise<Child> {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = createWriteStream(logFile, { flags: "a" });
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    let done = false;
    lines.on("line", (line) => {
      if (done) return;
      try {
        const hello = JSON.parse(line) as Record<string, string>;
        done = true;
        resolve({ process: child, hello, exited });
      } catch {
        // Not the address line.
      }
    });
    void exited.then((code) => {
      if (!done) reject(new Error(`${script} exited (${code}) before it was ready; see ${logFile}`));
    });
  });
}

/**
 * fetch with a few retries on network errors: a keep-alive connection the simulator closed while
 * the harness was busy elsewhere fails once (EPIPE, reset) and is fine on a fresh one.
 */
async function fetchRetrying(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** POSTs JSON and returns the parsed answer; throws on a non-2xx. */
export async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetchRetrying(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetchRetrying(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}
