import type { OpenAPIHono } from "@hono/zod-openapi";
import { HDS_CSS, HDS_VERSION } from "./hds-styles.ts";

/**
 * Silta's one stylesheet for every page people use (console, handler page, accessibility
 * statement): the Helsinki Design System's tokens, base and components (hds-styles.ts, from
 * hds-core), then Silta's own layout on those tokens. Served from Silta itself, never a CDN.
 * Focus is always visible (3 px in HDS's focus colour); nothing relies on colour alone.
 */
const SILTA_CSS = `body{margin:0;color:var(--color-black-90);background:var(--color-white);font-family:var(--font-default);font-size:var(--fontsize-body-m);line-height:1.5}
a{color:var(--color-bus)}a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--color-focus-outline);outline-offset:2px}
.site-header{background:var(--color-bus);color:var(--color-white);padding:var(--spacing-2-xs) var(--spacing-s);display:flex;flex-wrap:wrap;gap:var(--spacing-3-xs) var(--spacing-s);align-items:center}
.site-header a{color:var(--color-white);text-decoration:none;padding:var(--spacing-3-xs) 0}.site-header a:hover{text-decoration:underline}
.site-nav{display:flex;flex-wrap:wrap;gap:var(--spacing-3-xs) var(--spacing-s)}
.site-header :focus-visible{outline-color:var(--color-white)}
.site-header form{margin-left:auto}.site-header .hds-button{--color:var(--color-white);--border-color:var(--color-white);--background-color-hover:var(--color-bus-dark);--color-hover:var(--color-white)}
main{padding:var(--spacing-s);max-width:80rem}h1{font-size:var(--fontsize-heading-l);margin:var(--spacing-s) 0}h2{font-size:var(--fontsize-heading-m)}
.site-footer{padding:var(--spacing-s);border-top:1px solid var(--color-black-20);margin-top:var(--spacing-l);font-size:var(--fontsize-body-s)}
table{border-collapse:collapse;width:100%;margin:var(--spacing-2-xs) 0 var(--spacing-s)}
th,td{text-align:left;padding:var(--spacing-3-xs) var(--spacing-2-xs);border-bottom:1px solid var(--color-black-20);vertical-align:top}
th{background:var(--color-black-5);font-weight:500}caption{text-align:left;font-weight:500;padding:var(--spacing-3-xs) 0}
.table-wrap{overflow-x:auto}
pre{background:var(--color-black-5);padding:var(--spacing-2-xs);overflow:auto;max-height:30rem;white-space:pre-wrap;overflow-wrap:anywhere}
td small{overflow-wrap:anywhere}time{white-space:nowrap}small{color:var(--color-black-60)}
input,select,textarea{font:inherit;color:inherit;border:2px solid var(--color-black-50);border-radius:0;padding:var(--spacing-3-xs) var(--spacing-2-xs);min-height:2.5rem;background:var(--color-white);max-width:100%}
input:focus-visible,select:focus-visible{border-color:var(--color-focus-outline)}
label{margin-right:var(--spacing-2-xs)}fieldset{border:1px solid var(--color-black-20);margin:var(--spacing-2-xs) 0}
form.inline{display:inline}.hds-button{vertical-align:middle;margin:var(--spacing-4-xs) 0}
.hds-notification{margin:var(--spacing-2-xs) 0}
.pill{display:inline-block;padding:0 var(--spacing-2-xs);border:1px solid var(--color-black-50);background:var(--color-black-5)}
.pill.dead,.pill.down{background:var(--color-error-light);border-color:var(--color-error)}
.pill.pending,.pill.running,.pill.degraded,.pill.paused{background:var(--color-alert-light);border-color:var(--color-alert-dark)}
.pill.done,.pill.ok{background:var(--color-success-light);border-color:var(--color-success)}
.lang-nav{float:right}.lang-nav a{margin-left:var(--spacing-2-xs)}`;

/** The stylesheet's path: versioned by hds-core's version and Silta's own rules, so a page never meets a stale copy. */
export const STYLESHEET_PATH = `/assets/silta-${HDS_VERSION}-${fnv1a(SILTA_CSS)}.css`;

const STYLESHEET = `${HDS_CSS}\n${SILTA_CSS}\n`;

/** A short, stable fingerprint of a text (FNV-1a, hex): enough to tell versions of our own CSS apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** Serves the stylesheet, cacheable for a year: its path changes whenever its content does. */
export function registerStylesheet(app: OpenAPIHono): void {
  app.get(STYLESHEET_PATH, (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(STYLESHEET);
  });
}

/** The `<link>` every page's head carries. */
export const STYLESHEET_LINK = `<link rel="stylesheet" href="${STYLESHEET_PATH}">`;
