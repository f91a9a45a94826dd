import type { LedgerDirection, LedgerOperation, LedgerOutcome } from "../../db/schema/index.ts";
import type { DeliveryPhase } from "../../domain/admin/case-view.ts";
import type { SlaState } from "../../domain/admin/sla.ts";
import type { ExclusionReason } from "../../domain/routing.ts";
import type { ErrorCode } from "../../kernel/errors.ts";
import type { CanonicalStatus } from "../../kernel/status.ts";

/**
 * The handler's case page speaks Finnish, Swedish and English (Helsinki is bilingual; English for
 * everyone else). Every code the page can show has a text in each: statuses, delivery phases,
 * ledger outcomes and the closed set of error codes. A code without a text shows as itself, and
 * `test/unit/case-labels.test.ts` keeps that from happening.
 */
export const LANGS = ["fi", "sv", "en"] as const;
export type Lang = (typeof LANGS)[number];

export function parseLang(value: string | undefined): Lang {
  return (LANGS as readonly string[]).includes(value ?? "") ? (value as Lang) : "fi";
}

export const LOCALES: Record<Lang, string> = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };
export const LANGUAGE_NAMES: Record<Lang, string> = { fi: "suomeksi", sv: "på svenska", en: "in English" };

const LABELS = {
  fi: {
    title: "Kenttätilanne",
    case: "Palaute",
    service: "Palvelu",
    contractor: "Urakoitsija",
    workOrder: "Työtilaus",
    fieldStatus: "Kenttätila",
    delivery: "Välitys",
    next: "Mitä seuraavaksi",
    lastSynced: "Viimeksi synkronoitu",
    sla: "Palvelutaso",
    due: "Määräaika",
    timeline: "Aikajana",
    at: "Aika",
    step: "Vaihe",
    direction: "Suunta",
    outcome: "Tulos",
    writtenBack: "Kirjattu palautteeseen",
    noWorkOrders: "Palautetta ei ole välitetty kenttätyöhön.",
    workOrders: "Työtilaukset",
    reworkButton: "Ei korjattu: pyydä uusi työkierros",
    reworkHelp:
      "Jos valmiiksi ilmoitettu työ ei korjannut vikaa, Silta lähettää samalle urakoitsijalle uuden työtilauksen, joka viittaa edelliseen.",
    reworkOpened: "Uusi työkierros avattiin: uusi työtilaus on matkalla urakoitsijalle.",
    reworkNothing: "Valmista työtä ei ole, joten uutta kierrosta ei avattu: työ on vielä kesken.",
    excluded: "Ei kenttätyötä",
    never: "ei vielä",
    round: "Uusintakierros",
    caseSystem: "Kaupungin palautejärjestelmä",
    autoRefresh: "Sivu päivittyy itsestään, kun tila muuttuu.",
    tokenMissing: "Sivun avaamiseen tarvitaan käsittelijän tunniste.",
    tokenInvalid: "Tunniste ei kelpaa tai se on vanhentunut.",
    tokenHelp: "Avaa sivu uudelleen palautejärjestelmästä tai pyydä uusi tunniste integraation ylläpidolta.",
    notFound: "Siltaan ei ole tullut palautetta tällä tunnuksella.",
  },
  sv: {
    title: "Fältläge",
    case: "Respons",
    service: "Tjänst",
    contractor: "Entreprenör",
    workOrder: "Arbetsorder",
    fieldStatus: "Fältstatus",
    delivery: "Förmedling",
    next: "Vad händer härnäst",
    lastSynced: "Senast synkroniserad",
    sla: "Servicenivå",
    due: "Tidsfrist",
    timeline: "Tidslinje",
    at: "Tid",
    step: "Steg",
    direction: "Riktning",
    outcome: "Resultat",
    writtenBack: "Registrerad i responsen",
    noWorkOrders: "Responsen har inte förmedlats till fältarbete.",
    workOrders: "Arbetsorder",
    reworkButton: "Inte åtgärdat: begär en ny arbetsomgång",
    reworkHelp:
      "Om det arbete som anmälts som klart inte åtgärdade felet skickar Silta en ny arbetsorder till samma entreprenör, med hänvisning till den förra.",
    reworkOpened: "En ny arbetsomgång öppnades: en ny arbetsorder är på väg till entreprenören.",
    reworkNothing: "Inget arbete är klart, så ingen ny omgång öppnades: arbetet pågår ännu.",
    excluded: "Inget fältarbete",
    never: "inte ännu",
    round: "Ny omgång",
    caseSystem: "Stadens responssystem",
    autoRefresh: "Sidan uppdateras själv när läget ändras.",
    tokenMissing: "För att öppna sidan behövs en handläggarnyckel.",
    tokenInvalid: "Nyckeln gäller inte eller har gått ut.",
    tokenHelp: "Öppna sidan på nytt från responssystemet eller be integrationens administratörer om en ny nyckel.",
    notFound: "Silta har ingen respons med denna beteckning.",
  },
  en: {
    title: "Field status",
    case: "Case",
    service: "Service",
    contractor: "Contractor",
    workOrder: "Work order",
    fieldStatus: "Field status",
    delivery: "Delivery",
    next: "What happens next",
    lastSynced: "Last synced",
    sla: "SLA",
    due: "Due",
    timeline: "Timeline",
    at: "Time",
    step: "Step",
    direction: "Direction",
    outcome: "Outcome",
    writtenBack: "Written back to the case",
    noWorkOrders: "The case was not sent to field work.",
    workOrders: "Work orders",
    reworkButton: "Not fixed: ask for a new work cycle",
    reworkHelp:
      "If work reported as done did not fix the fault, Silta sends the same contractor a new work order that refers to the previous one.",
    reworkOpened: "A new work cycle was opened: a new work order is on its way to the contractor.",
    reworkNothing: "No work is finished, so no new cycle was opened: the work is still under way.",
    excluded: "Not field work",
    never: "not yet",
    round: "Rework round",
    caseSystem: "The city's feedback system",
    autoRefresh: "The page refreshes itself when the status changes.",
    tokenMissing: "A handler token is needed to open this page.",
    tokenInvalid: "The token is not valid or has expired.",
    tokenHelp: "Open the page again from the case system, or ask the integration admins for a new token.",
    notFound: "Silta has no case with this id.",
  },
} as const satisfies Record<Lang, Record<string, string>>;

export type LabelKey = keyof (typeof LABELS)["fi"];

const STATUS: Record<Lang, Record<CanonicalStatus, string>> = {
  fi: {
    pending: "Odottaa välitystä",
    sent: "Lähetetty urakoitsijalle",
    received: "Urakoitsija vastaanotti",
    in_progress: "Työn alla",
    completed: "Valmis",
    scheduled_later: "Siirretty myöhemmäksi",
    no_action: "Ei vaadi toimenpiteitä",
    interrupted: "Keskeytetty",
    wrong_contractor: "Palautettu: ei urakoitsijan aluetta",
    cancelled: "Peruttu",
  },
  sv: {
    pending: "Väntar på förmedling",
    sent: "Skickad till entreprenören",
    received: "Entreprenören har tagit emot",
    in_progress: "Arbete pågår",
    completed: "Klar",
    scheduled_later: "Flyttad till senare",
    no_action: "Kräver inga åtgärder",
    interrupted: "Avbruten",
    wrong_contractor: "Återsänd: inte entreprenörens område",
    cancelled: "Annullerad",
  },
  en: {
    pending: "Waiting for delivery",
    sent: "Sent to the contractor",
    received: "Received by the contractor",
    in_progress: "In progress",
    completed: "Completed",
    scheduled_later: "Scheduled later",
    no_action: "No action needed",
    interrupted: "Interrupted",
    wrong_contractor: "Handed back: not the contractor's area",
    cancelled: "Cancelled",
  },
};

/** Each delivery phase: what it is, and what happens next and who acts. `{contractor}`, `{next}`, `{problem}`, `{at}` are filled in. */
const PHASE: Record<Lang, Record<DeliveryPhase, { now: string; next: string }>> = {
  fi: {
    sending: { now: "Lähetetään urakoitsijalle", next: "Silta lähettää työtilauksen nyt. Sinun ei tarvitse tehdä mitään." },
    retrying: {
      now: "Lähetys epäonnistui, yritetään uudelleen",
      next: "Syy: {problem}. Silta yrittää uudelleen itse ({at}); ylläpito saa hälytyksen, jos vika jatkuu.",
    },
    parked: {
      now: "Lähetys pysäytetty",
      next: "Syy: {problem}. Integraation ylläpito on saanut tiedon ja korjaa ja lähettää työtilauksen uudelleen.",
    },
    delivered: { now: "Välitetty", next: "Urakoitsija hoitaa työn; kenttätila päivittyy tähän." },
    cancelled: { now: "Peruttu", next: "Kaupunki perui palautteen; urakoitsijalle on ilmoitettu." },
    rerouted: { now: "Siirretty toiselle urakoitsijalle", next: "{contractor} palautti työn; se välitettiin: {next}." },
  },
  sv: {
    sending: { now: "Skickas till entreprenören", next: "Silta skickar arbetsordern nu. Du behöver inte göra något." },
    retrying: {
      now: "Sändningen misslyckades, försöker igen",
      next: "Orsak: {problem}. Silta försöker igen själv ({at}); administratörerna larmas om felet fortsätter.",
    },
    parked: {
      now: "Sändningen stoppad",
      next: "Orsak: {problem}. Integrationens administratörer har fått besked och rättar och skickar arbetsordern på nytt.",
    },
    delivered: { now: "Förmedlad", next: "Entreprenören utför arbetet; fältstatusen uppdateras här." },
    cancelled: { now: "Annullerad", next: "Staden annullerade responsen; entreprenören har underrättats." },
    rerouted: { now: "Flyttad till en annan entreprenör", next: "{contractor} sände tillbaka arbetet; det förmedlades: {next}." },
  },
  en: {
    sending: { now: "Being sent to the contractor", next: "Silta is sending the work order now. Nothing for you to do." },
    retrying: {
      now: "Sending failed, retrying",
      next: "Reason: {problem}. Silta tries again by itself ({at}); the admins are alerted if it keeps failing.",
    },
    parked: {
      now: "Sending stopped",
      next: "Reason: {problem}. The integration admins have been told; they fix it and send the work order again.",
    },
    delivered: { now: "Delivered", next: "The contractor does the work; the field status updates here." },
    cancelled: { now: "Cancelled", next: "The city withdrew the case; the contractor has been told." },
    rerouted: { now: "Moved to another contractor", next: "{contractor} handed the work back; it was sent on: {next}." },
  },
};

const SLA: Record<Lang, Record<SlaState, string>> = {
  fi: {
    on_track: "Aikataulussa",
    due_soon: "⚠ Erääntyy pian",
    overdue: "✕ Myöhässä",
    met: "Toteutui",
    missed: "Ei toteutunut",
    not_applicable: "Ei määräaikaa",
  },
  sv: {
    on_track: "Enligt tidsplan",
    due_soon: "⚠ Förfaller snart",
    overdue: "✕ Försenad",
    met: "Uppfylld",
    missed: "Inte uppfylld",
    not_applicable: "Ingen tidsfrist",
  },
  en: {
    on_track: "On track",
    due_soon: "⚠ Due soon",
    overdue: "✕ Overdue",
    met: "Met",
    missed: "Missed",
    not_applicable: "No deadline",
  },
};

const OPERATION: Record<Lang, Record<LedgerOperation, string>> = {
  fi: {
    intake: "Palaute luettu",
    route: "Reititys",
    exclude: "Rajaus",
    create_work_order: "Työtilauksen välitys",
    cancel_work_order: "Työtilauksen peruminen",
    field_status: "Kenttätila",
    write_back: "Kirjaus palautteeseen",
    park: "Pysäytys",
    reroute: "Uudelleenreititys",
    rework: "Uusi työkierros",
    quarantine: "Eristys tarkistettavaksi",
    reconcile: "Täsmäytys",
    sla_breach: "Palvelutason seuranta",
  },
  sv: {
    intake: "Respons inläst",
    route: "Dirigering",
    exclude: "Avgränsning",
    create_work_order: "Förmedling av arbetsorder",
    cancel_work_order: "Annullering av arbetsorder",
    field_status: "Fältstatus",
    write_back: "Registrering i responsen",
    park: "Stopp",
    reroute: "Ny dirigering",
    rework: "Ny arbetsomgång",
    quarantine: "Karantän för granskning",
    reconcile: "Avstämning",
    sla_breach: "Uppföljning av servicenivå",
  },
  en: {
    intake: "Case read",
    route: "Routing",
    exclude: "Exclusion",
    create_work_order: "Work order delivery",
    cancel_work_order: "Work order withdrawal",
    field_status: "Field status",
    write_back: "Write-back to the case",
    park: "Stop",
    reroute: "Re-routing",
    rework: "New work cycle",
    quarantine: "Held for review",
    reconcile: "Reconciliation",
    sla_breach: "SLA watch",
  },
};

const OUTCOME: Record<Lang, Record<LedgerOutcome, string>> = {
  fi: {
    ok: "onnistui",
    queued: "jonossa",
    requeued: "lähetetään uudelleen",
    redriven: "ylläpito lähetti uudelleen",
    replayed: "ylläpito lähetti uudelleen",
    skipped: "ei tarpeen",
    parked: "pysäytetty, ylläpito hoitaa",
    excluded: "ei kenttätyötä",
    quarantined: "eristetty tarkistettavaksi",
    stale: "vanhempi tieto, ohitettu",
    duplicate: "toisto, ohitettu",
    finding: "poikkeama havaittu",
    breach: "palvelutaso ylittyi",
    warning: "vastauksen määräaika lähestyy",
    transient: "tilapäinen vika, yritetään uudelleen",
    rate_limited: "vastaanottaja pyysi odottamaan",
    indeterminate: "tulos epävarma, tarkistetaan ennen uutta yritystä",
    permanent: "hylätty",
    auth: "tunnistautuminen hylättiin",
    unmapped: "tuntematon koodi",
  },
  sv: {
    ok: "lyckades",
    queued: "i kö",
    requeued: "skickas på nytt",
    redriven: "administratör skickade på nytt",
    replayed: "administratör skickade på nytt",
    skipped: "behövdes inte",
    parked: "stoppad, administratörerna åtgärdar",
    excluded: "inget fältarbete",
    quarantined: "i karantän för granskning",
    stale: "äldre uppgift, ignorerad",
    duplicate: "upprepning, ignorerad",
    finding: "avvikelse upptäckt",
    breach: "servicenivån överskreds",
    warning: "svarstiden går snart ut",
    transient: "tillfälligt fel, försöker igen",
    rate_limited: "mottagaren bad om att vänta",
    indeterminate: "osäkert resultat, kontrolleras före nytt försök",
    permanent: "avvisad",
    auth: "autentiseringen avvisades",
    unmapped: "okänd kod",
  },
  en: {
    ok: "done",
    queued: "queued",
    requeued: "queued again",
    redriven: "resent by an admin",
    replayed: "resent by an admin",
    skipped: "not needed",
    parked: "stopped, the admins act",
    excluded: "not field work",
    quarantined: "held for review",
    stale: "older news, ignored",
    duplicate: "repeat, ignored",
    finding: "drift found",
    breach: "SLA breached",
    warning: "the answer is due soon",
    transient: "temporary failure, will retry",
    rate_limited: "the receiver asked to wait",
    indeterminate: "outcome unknown, checked before retrying",
    permanent: "refused",
    auth: "credentials refused",
    unmapped: "unknown code",
  },
};

const ERROR: Record<Lang, Record<ErrorCode, string>> = {
  fi: {
    target_unavailable: "urakoitsijan järjestelmä ei vastannut",
    target_server_error: "urakoitsijan järjestelmässä oli vika",
    target_timeout: "urakoitsijan järjestelmä vastasi liian hitaasti",
    target_rate_limited: "urakoitsijan järjestelmä pyysi odottamaan",
    target_rejected: "urakoitsijan järjestelmä hylkäsi työtilauksen",
    target_bad_response: "urakoitsijan järjestelmän vastausta ei voitu lukea",
    target_auth_failed: "urakoitsijan järjestelmä ei hyväksynyt Sillan tunnuksia",
    target_not_found: "urakoitsijan järjestelmä ei tunne työtilausta",
    case_system_unavailable: "palautejärjestelmä ei vastannut",
    case_system_rejected: "palautejärjestelmä hylkäsi kirjauksen",
    case_system_auth_failed: "palautejärjestelmä ei hyväksynyt Sillan avainta",
    status_unmapped: "tila, jota Silta ei tunne",
    route_missing: "palautteelle ei ole määritetty urakoitsijaa",
    webhook_signature_invalid: "viestin allekirjoitus ei kelvannut",
    webhook_malformed: "viestiä ei voitu lukea",
    config_invalid: "asetusvirhe",
    outbound_refused: "osoite ei ole sallittu",
    mapping_invalid: "virhe vastaavuustaulussa",
    skipped_by_admin: "ylläpito päätti jättää lähettämättä",
    internal: "Sillan sisäinen virhe",
  },
  sv: {
    target_unavailable: "entreprenörens system svarade inte",
    target_server_error: "entreprenörens system hade ett fel",
    target_timeout: "entreprenörens system svarade för långsamt",
    target_rate_limited: "entreprenörens system bad om att vänta",
    target_rejected: "entreprenörens system avvisade arbetsordern",
    target_bad_response: "entreprenörens svar kunde inte läsas",
    target_auth_failed: "entreprenörens system godkände inte Siltas inloggning",
    target_not_found: "entreprenörens system känner inte till arbetsordern",
    case_system_unavailable: "responssystemet svarade inte",
    case_system_rejected: "responssystemet avvisade registreringen",
    case_system_auth_failed: "responssystemet godkände inte Siltas nyckel",
    status_unmapped: "en status som Silta inte känner till",
    route_missing: "ingen entreprenör är angiven för responsen",
    webhook_signature_invalid: "meddelandets signatur godkändes inte",
    webhook_malformed: "meddelandet kunde inte läsas",
    config_invalid: "ett inställningsfel",
    outbound_refused: "adressen är inte tillåten",
    mapping_invalid: "ett fel i mappningen",
    skipped_by_admin: "en administratör beslöt att inte skicka",
    internal: "ett internt fel i Silta",
  },
  en: {
    target_unavailable: "the contractor's system did not answer",
    target_server_error: "the contractor's system failed",
    target_timeout: "the contractor's system answered too slowly",
    target_rate_limited: "the contractor's system asked to wait",
    target_rejected: "the contractor's system refused the work order",
    target_bad_response: "the contractor's answer could not be read",
    target_auth_failed: "the contractor's system refused Silta's credentials",
    target_not_found: "the contractor's system does not know the work order",
    case_system_unavailable: "the feedback system did not answer",
    case_system_rejected: "the feedback system refused the update",
    case_system_auth_failed: "the feedback system refused Silta's key",
    status_unmapped: "a status Silta does not know",
    route_missing: "no contractor is configured for this case",
    webhook_signature_invalid: "a message's signature was refused",
    webhook_malformed: "a message could not be read",
    config_invalid: "a configuration error",
    outbound_refused: "the address is not allowed",
    mapping_invalid: "an error in the mappings",
    skipped_by_admin: "an admin decided not to send it",
    internal: "an internal error in Silta",
  },
};

/** Why a case is not field work (routing.ts's exclusion reasons). */
const EXCLUSION: Record<Lang, Record<ExclusionReason, string>> = {
  fi: {
    no_service_code: "palautteella ei ole palvelukoodia",
    not_field_work: "palvelu ei ole kenttätyötä",
    handed_elsewhere: "palaute on ohjattu muualle",
    city_cancelled: "kaupunki perui palautteen",
    closed_at_source: "palaute oli jo suljettu",
  },
  sv: {
    no_service_code: "responsen saknar tjänstekod",
    not_field_work: "tjänsten är inte fältarbete",
    handed_elsewhere: "responsen har skickats vidare på annat håll",
    city_cancelled: "staden annullerade responsen",
    closed_at_source: "responsen var redan stängd",
  },
  en: {
    no_service_code: "the case has no service code",
    not_field_work: "the service is not field work",
    handed_elsewhere: "the case was handed elsewhere",
    city_cancelled: "the city withdrew the case",
    closed_at_source: "the case was already closed",
  },
};

const DIRECTION: Record<Lang, Record<LedgerDirection, string>> = {
  fi: {
    source_in: "kaupungilta",
    target_out: "urakoitsijalle",
    target_in: "urakoitsijalta",
    source_out: "kaupungille",
    internal: "Silta",
  },
  sv: {
    source_in: "från staden",
    target_out: "till entreprenören",
    target_in: "från entreprenören",
    source_out: "till staden",
    internal: "Silta",
  },
  en: {
    source_in: "from the city",
    target_out: "to the contractor",
    target_in: "from the contractor",
    source_out: "to the city",
    internal: "Silta",
  },
};

/** Every text table, for the test that each language has every text. */
export const CODE_TABLES = { LABELS, STATUS, PHASE, SLA, OPERATION, OUTCOME, ERROR, EXCLUSION, DIRECTION } as const;

const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? "");

/** The labels of one language; a code without a text shows as itself. */
export function labelsFor(lang: Lang) {
  return {
    t: (key: LabelKey) => LABELS[lang][key],
    status: (code: string | null) => (code ? (STATUS[lang][code as CanonicalStatus] ?? code) : "–"),
    phase: (phase: DeliveryPhase, values: Record<string, string>) => ({
      now: PHASE[lang][phase].now,
      next: fill(PHASE[lang][phase].next, values),
    }),
    sla: (state: string) => SLA[lang][state as SlaState] ?? state,
    operation: (op: string) => OPERATION[lang][op as LedgerOperation] ?? op,
    outcome: (outcome: string) => OUTCOME[lang][outcome as LedgerOutcome] ?? outcome,
    error: (code: string) => ERROR[lang][code as ErrorCode] ?? code,
    exclusion: (reason: string | null) => (reason ? (EXCLUSION[lang][reason as ExclusionReason] ?? reason) : ""),
    direction: (d: string) => DIRECTION[lang][d as LedgerDirection] ?? d,
  };
}
