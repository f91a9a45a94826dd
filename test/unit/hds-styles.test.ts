import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OUTPUT, renderHdsModule } from "../../scripts/vendor-hds.ts";
import { HDS_VERSION } from "../../src/http/assets/hds-styles.ts";
import { STYLESHEET_PATH } from "../../src/http/assets/stylesheet.ts";

describe("the Helsinki Design System styles Silta serves", () => {
  it("are the installed hds-core's (run `npm run vendor:hds` after upgrading it)", () => {
    expect(readFileSync(OUTPUT, "utf8")).toBe(renderHdsModule());
  });

  it("carry HDS's tokens and the components the pages use, under a path that names the version", () => {
    const text = readFileSync(OUTPUT, "utf8");
    for (const token of ["--color-bus:", "--color-focus-outline:", ".hds-button", ".hds-notification", "--font-default:"])
      expect(text).toContain(token);
    // No CDN: HDS's font face (served from the city's CDN) is not among the parts.
    expect(text).not.toMatch(/url\((["'])?https?:/);
    expect(STYLESHEET_PATH).toMatch(new RegExp(`^/assets/silta-${HDS_VERSION.replaceAll(".", "\\.")}-[0-9a-f]{8}\\.css$`));
  });
});
