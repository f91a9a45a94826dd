import { defineConfig } from "drizzle-kit";

// Migrations are generated from src/db/schema into drizzle/ and committed; Silta applies them at start.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
});
