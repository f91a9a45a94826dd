import { type ChildProcess, spawn } from "node:child_process";

/**
 * Starts a bench server script in a Node process of its own and waits for the URL it prints on
 * its first line of stdout. With `ipc`, the child also gets a message channel.
 */
export async function startChildServer(
  script: string,
  args: readonly string[] = [],
  options: { ipc?: boolean } = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: options.ipc ? ["ignore", "pipe", "inherit", "ipc"] : ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { url, child };
}
