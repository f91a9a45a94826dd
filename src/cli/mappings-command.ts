import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { CommandSettings } from "../config/config.ts";
import { checkMappings } from "../mappings/check.ts";
import { loadMappingsFromDir } from "../mappings/load-node.ts";

async function readServices(source: string | undefined): Promise<{ serviceCode: string; serviceName: string | null }[]> {
  if (!source) return [];
  const text = /^https?:\/\//.test(source)
    ? await (
        await fetch(source.endsWith(".json") ? source : `${source.replace(/\/$/, "")}/services.json`, {
          signal: AbortSignal.timeout(15_000),
        })
      ).text()
    : readFileSync(source, "utf8");
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error(`${source}: expected a services.json list (a JSON array)`);
  return data
    .filter(
      (s): s is { service_code: unknown; service_name?: unknown } => typeof s === "object" && s !== null && "service_code" in s,
    )
    .map((s) => ({
      serviceCode: String(s.service_code),
      serviceName: typeof s.service_name === "string" && s.service_name ? s.service_name : null,
    }));
}

export function registerMappingsCommand(program: Command, settings: CommandSettings): void {
  const mappings = program.command("mappings").description("Inspect and validate the mapping files in mappings/");
  mappings
    .command("check")
    .description("Validate every mapping file and report service codes no rule routes")
    .option("--dir <folder>", "the mappings folder", settings.mappingsDir)
    .option(
      "--services <file-or-url>",
      "a services.json list (file, or the Open311 base URL) to check coverage against",
      settings.open311Url ?? undefined,
    )
    .option("--json", "print the report as JSON")
    .action(async (options: { dir: string; services?: string; json?: boolean }) => {
      const loaded = loadMappingsFromDir(options.dir);
      const report = checkMappings(loaded, await readServices(options.services));
      if (options.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(`mappings in ${options.dir}: valid (${report.targets.length} targets, ${loaded.rules.length} rules)`);
      for (const s of report.services) {
        const how =
          s.coverage === "rules"
            ? `rules ${s.rules.join(", ")} → ${s.targets.join(" / ")}`
            : s.coverage === "fallback-only"
              ? `no rule: fallback → ${s.targets.join(", ")}`
              : "not field work: excluded";
        console.log(`  ${s.serviceCode.padEnd(6)} ${(s.serviceName ?? "").padEnd(28)} ${how}`);
      }
      console.log(
        report.unrouted.length === 0
          ? "every service code is routed by a rule"
          : `${report.unrouted.length} service code(s) not routed by any rule: ${report.unrouted.map((s) => s.serviceCode).join(", ")}`,
      );
      if (!options.services) console.log("(pass --services FILE|URL to check the case system's own service list)");
    });
}
