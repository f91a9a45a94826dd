import type { OpenAPIHono } from "@hono/zod-openapi";
import { html } from "hono/html";
import { STYLESHEET_LINK } from "./assets/stylesheet.ts";
import { LANGS, LANGUAGE_NAMES, type Lang, parseLang } from "./cases/case-labels.ts";

/**
 * The accessibility statement (Act on the Provision of Digital Services, 306/2019): what
 * conforms, what does not yet, how it is checked and how to give feedback, in Finnish, Swedish
 * and English. Public; every page people use links here (`accessibilityLink`).
 */

export const STATEMENT_PATH = "/accessibility";

/** The link in every page's footer, in the page's language. */
export function accessibilityLink(lang: Lang) {
  const text = { fi: "Saavutettavuusseloste", sv: "Tillgänglighetsutlåtande", en: "Accessibility statement" }[lang];
  return html`<footer class="site-footer"><a href="${STATEMENT_PATH}?lang=${lang}" lang="${lang}">${text}</a></footer>`;
}

interface Statement {
  title: string;
  intro: string;
  scopeTitle: string;
  scope: string[];
  statusTitle: string;
  status: string;
  checkedTitle: string;
  checked: string[];
  gapsTitle: string;
  gaps: string[];
  feedbackTitle: string;
  feedback: string;
  authority: string;
  dated: string;
}

const FEEDBACK = "https://palautteet.hel.fi";
const AUTHORITY = "https://www.saavutettavuusvaatimukset.fi";
const DATED = "2026-12-06";

const STATEMENTS: Record<Lang, Statement> = {
  fi: {
    title: "Saavutettavuusseloste",
    intro:
      "Tämä seloste koskee Silta-integraatiota, joka välittää Helsingin palautejärjestelmän tapaukset urakoitsijoille ja Staralle ja näyttää työn tilan käsittelijöille.",
    scopeTitle: "Mitä seloste koskee",
    scope: [
      "käsittelijän näkymä tapauksen kenttätilasta (suomeksi, ruotsiksi ja englanniksi)",
      "integraation ylläpitäjien konsoli",
      "urakoitsijoiden rajapinnan kuvaus ja muutosloki",
      "tämä seloste",
    ],
    statusTitle: "Vaatimustenmukaisuus",
    status: "Palvelu täyttää osittain WCAG 2.1 -ohjeiston A- ja AA-tason vaatimukset. Puutteet on lueteltu alla.",
    checkedTitle: "Miten saavutettavuus on tarkistettu",
    checked: [
      "Jokainen sivu tarkistetaan jokaisessa versiossa axe-core-työkalulla (WCAG 2.0 ja 2.1, tasot A ja AA) oikeassa selaimessa; sallittu virhemäärä on nolla.",
      "Konsolin päätoiminnot (uudelleenlähetys, kuittaus, keskeytys) testataan pelkällä näppäimistöllä.",
      "Käsittelijän näkymä testataan kapeassa kehyksessä ja 200 %:n suurennoksella.",
      "Sivut käyttävät Helsingin kaupungin Helsinki Design System -tyylejä.",
    ],
    gapsTitle: "Mikä ei vielä ole saavutettavaa",
    gaps: [
      "Ylläpitäjien konsoli on vain englanniksi.",
      "Kaaviot ovat kuvia; samat luvut ovat kunkin kaavion alla taulukkona.",
      "Urakoitsijoiden rajapinnan kuvaus käyttää kolmannen osapuolen komponenttia (Scalar), jonka kaikkia vuorovaikutteisia osia ei ole testattu näppäimistöllä.",
      "Palvelua ei ole vielä testattu ruudunlukijan käyttäjien kanssa.",
    ],
    feedbackTitle: "Palaute ja yhteystiedot",
    feedback: "Jos huomaat saavutettavuuspuutteen, kerro siitä kaupungin palautepalvelussa",
    authority: "Jos et ole tyytyväinen saamaasi vastaukseen, voit tehdä ilmoituksen valvontaviranomaiselle:",
    dated: "Seloste on laadittu",
  },
  sv: {
    title: "Tillgänglighetsutlåtande",
    intro:
      "Detta utlåtande gäller integrationen Silta, som förmedlar ärenden från Helsingfors responssystem till entreprenörer och Stara och visar arbetets status för handläggarna.",
    scopeTitle: "Vad utlåtandet gäller",
    scope: [
      "handläggarens vy över ärendets fältstatus (på finska, svenska och engelska)",
      "integrationsadministratörernas konsol",
      "beskrivningen av entreprenörernas gränssnitt och dess ändringslogg",
      "detta utlåtande",
    ],
    statusTitle: "Överensstämmelse",
    status: "Tjänsten uppfyller delvis kraven på nivå A och AA i WCAG 2.1. Bristerna räknas upp nedan.",
    checkedTitle: "Hur tillgängligheten har kontrollerats",
    checked: [
      "Varje sida kontrolleras i varje version med axe-core (WCAG 2.0 och 2.1, nivå A och AA) i en riktig webbläsare; inga fel tillåts.",
      "Konsolens huvudfunktioner (skicka på nytt, kvittera, pausa) testas med enbart tangentbord.",
      "Handläggarens vy testas i en smal ram och med 200 % förstoring.",
      "Sidorna använder Helsingfors stads Helsinki Design System.",
    ],
    gapsTitle: "Vad som ännu inte är tillgängligt",
    gaps: [
      "Administratörernas konsol finns bara på engelska.",
      "Diagrammen är bilder; samma siffror finns som tabell under varje diagram.",
      "Beskrivningen av entreprenörernas gränssnitt använder en komponent från tredje part (Scalar) vars alla interaktiva delar inte har testats med tangentbord.",
      "Tjänsten har ännu inte testats tillsammans med användare av skärmläsare.",
    ],
    feedbackTitle: "Respons och kontaktuppgifter",
    feedback: "Om du märker en brist i tillgängligheten, berätta om den i stadens responstjänst",
    authority: "Om du inte är nöjd med svaret kan du anmäla saken till tillsynsmyndigheten:",
    dated: "Utlåtandet har utarbetats",
  },
  en: {
    title: "Accessibility statement",
    intro:
      "This statement covers Silta, the integration that passes cases from Helsinki's feedback system to contractors and Stara and shows handlers the state of the field work.",
    scopeTitle: "What it covers",
    scope: [
      "the handler's view of a case's field status (in Finnish, Swedish and English)",
      "the integration admins' console",
      "the contractor API reference and its changelog",
      "this statement",
    ],
    statusTitle: "Conformance",
    status: "The service partially conforms to WCAG 2.1 levels A and AA. What does not conform yet is listed below.",
    checkedTitle: "How accessibility is checked",
    checked: [
      "Every page is checked in every build with axe-core (WCAG 2.0 and 2.1, levels A and AA) in a real browser; no violation is allowed.",
      "The console's main actions (replay, acknowledge, pause) are tested with the keyboard alone.",
      "The handler's view is tested in a narrow frame and at 200 % zoom.",
      "The pages use the City of Helsinki's Helsinki Design System.",
    ],
    gapsTitle: "What is not accessible yet",
    gaps: [
      "The admins' console is in English only.",
      "Charts are images; the same figures are in a table under each chart.",
      "The contractor API reference uses a third-party component (Scalar) whose interactive parts have not all been tested with the keyboard.",
      "The service has not yet been tested with screen reader users.",
    ],
    feedbackTitle: "Feedback and contact",
    feedback: "If you notice an accessibility problem, tell us through the city's feedback service",
    authority: "If you are not satisfied with the answer, you can notify the supervisory authority:",
    dated: "This statement was prepared on",
  },
};

export function renderAccessibilityStatement(lang: Lang) {
  const s = STATEMENTS[lang];
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${s.title} – Silta</title>${STYLESHEET_LINK}</head>
<body><header class="site-header"><strong>Silta</strong></header>
<main id="statement">
<nav class="lang-nav" aria-label="${s.title}">${LANGS.map((other) => html`<a href="${STATEMENT_PATH}?lang=${other}" lang="${other}" ${other === lang ? html`aria-current="page"` : ""}>${LANGUAGE_NAMES[other]}</a>`)}</nav>
<h1>${s.title}</h1>
<p>${s.intro}</p>
<h2>${s.scopeTitle}</h2><ul>${s.scope.map((item) => html`<li>${item}</li>`)}</ul>
<h2>${s.statusTitle}</h2><p id="conformance">${s.status}</p>
<h2>${s.checkedTitle}</h2><ul>${s.checked.map((item) => html`<li>${item}</li>`)}</ul>
<h2>${s.gapsTitle}</h2><ul id="gaps">${s.gaps.map((item) => html`<li>${item}</li>`)}</ul>
<h2>${s.feedbackTitle}</h2>
<p>${s.feedback}: <a href="${FEEDBACK}">${FEEDBACK.replace("https://", "")}</a>.</p>
<p>${s.authority} <a href="${AUTHORITY}">${AUTHORITY.replace("https://www.", "")}</a>.</p>
<p><small>${s.dated} ${DATED}.</small></p>
</main></body></html>`;
}

/** Serves the statement: `?lang=fi|sv|en` (Finnish by default). */
export function registerAccessibilityStatement(app: OpenAPIHono): void {
  app.get(STATEMENT_PATH, (c) => c.html(renderAccessibilityStatement(parseLang(c.req.query("lang")))));
}
