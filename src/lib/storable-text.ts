/**
 * Text PostgreSQL can store. A `text` or `jsonb` value cannot hold U+0000, and `jsonb` refuses a
 * lone UTF-16 surrogate; one such character in one citizen's description once made every insert
 * of its batch fail, so every later poll failed the same way. Cleaning happens at the boundary,
 * where records come in, and names what it changed (field paths, never values).
 *
 * Pure, no `node:` imports: the Worker reads cases too.
 */

/** U+0000 and the C0 controls other than tab, newline and carriage return. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** The text without characters PostgreSQL refuses; lone surrogates become U+FFFD. */
export function storableText(value: string): string {
  const controls = value.replace(UNSTORABLE, "");
  return controls.isWellFormed() ? controls : controls.toWellFormed();
}

/**
 * A copy of `value` whose every string is storable, and the paths of the strings that changed.
 * Arrays and plain objects are walked; other values are returned as they are.
 */
export function storableDeep<T>(value: T): { value: T; cleaned: string[] } {
  const cleaned: string[] = [];
  const walk = (item: unknown, path: string): unknown => {
    if (typeof item === "string") {
      const text = storableText(item);
      if (text !== item) cleaned.push(path);
      return text;
    }
    if (Array.isArray(item)) return item.map((entry, index) => walk(entry, `${path}[${index}]`));
    if (item !== null && typeof item === "object") {
      const copy: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(item)) copy[key] = walk(entry, path === "" ? key : `${path}.${key}`);
      return copy;
    }
    return item;
  };
  return { value: walk(value, "") as T, cleaned };
}
