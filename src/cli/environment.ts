import { type CommandSettings, parseCommandSettings, parseConfig, type SiltaConfig } from "../config/config.ts";

/**
 * What the command line knows of the environment, read once and only through the config module:
 * the settings its flags default to, and the full configuration for `start` and `reconcile`.
 */
export interface CommandEnvironment {
  /**
   * The flags' defaults (DATABASE_URL, SILTA_DATA_DIR, SILTA_MAPPINGS_DIR, …), a wrong one
   * replaced by its default so that `--help` still works; `check` then stops the command.
   */
  settings: CommandSettings;
  /** Throws the ConfigError naming every wrong one of those settings; called before a command runs. */
  check(): void;
  /**
   * The whole configuration for these targets (parseConfig), for the commands that need it:
   * every problem at once, the wrong settings above included. `overlay` replaces some settings
   * (a running sandbox's, for `reconcile --info-file`).
   */
  config(targets: readonly { id: string; kind: "stara" | "contractor-api" }[], overlay?: Record<string, string>): SiltaConfig;
}

export function readCommandEnvironment(env: Record<string, string | undefined>): CommandEnvironment {
  const { settings, error } = parseCommandSettings(env);
  return {
    settings,
    check() {
      if (error) throw error;
    },
    config: (targets, overlay) => parseConfig(overlay ? { ...env, ...overlay } : env, targets),
  };
}

/** The `--db` flag's default as the commands always had it: DATABASE_URL, else SILTA_DATA_DIR. */
export function databaseFlag(database: CommandSettings["database"]): string {
  return "url" in database ? database.url : database.dataDir;
}
