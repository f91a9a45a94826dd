import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadMappings, type Mappings } from "./mappings.ts";

/** Loads the mappings from a folder on disk (Node). */
export function loadMappingsFromDir(dir: string): Mappings {
  const root = resolve(dir);
  return loadMappings((relativePath) => {
    const path = join(root, relativePath);
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  });
}
