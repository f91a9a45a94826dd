import { defineConfig } from "vitest/config";

/**
 * One project per test tier, so that each runs alone (`npm run test:unit`, or
 * `npx vitest run --project unit`) while `npm test` runs every tier once. Projects inherit the
 * options below (Vitest 5: inline projects extend the root config); `reporters` and `globalSetup`
 * are the run's own and serve every project once. The chaos harness (test/chaos) is not a vitest
 * suite: `npm run chaos`.
 */
const tier = (name: string, include: string[]) => ({ test: { name, include } });

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "test/chaos/**"],
    reporters: ["default", "./test/support/count-reporter.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      // Tests kept next to the code they test (adapters/, src/) count as unit tests.
      tier("unit", ["test/unit/**/*.test.ts", "adapters/**/*.test.ts", "src/**/*.test.ts"]),
      tier("integration", ["test/integration/**/*.test.ts"]),
      tier("e2e", ["test/e2e/**/*.test.ts"]),
      tier("browser", ["test/browser/**/*.test.ts"]),
      tier("security", ["test/security/**/*.test.ts"]),
      // The Cloudflare Worker in workerd (needs DATABASE_URL: workerd cannot open PGlite).
      tier("worker", ["test/worker/**/*.test.ts"]),
    ],
  },
});
