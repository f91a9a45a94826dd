import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "adapters/**/*.test.ts", "src/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/chaos/**"],
    reporters: ["default", "./test/support/count-reporter.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
