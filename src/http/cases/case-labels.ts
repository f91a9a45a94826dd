/** Languages of the handler's case page. */
export type Lang = "fi" | "en";

export function parseLang(value: string | undefined): Lang {
  return value === "en" ? "en" : "fi";
}

const LABELS = {
  fi: {
    title: "Kenttätilanne",
    case: "Palaute",
    contractor: "Urakoitsija",
    workOrder: "Työtilaus",
    fieldStatus: "Kenttätila",
    delivery: "Välitys",
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
    excluded: "Ei kenttätyötä",
    never: "ei vielä",
    autoRefresh: "Sivu päivittyy itsestään, kun tila muuttuu.",
  },
  en: {
    title: "Field status",
    case: "Case",
    contractor: "Contractor",
    workOrder: "Work order",
    fieldStatus: "Field status",
    delivery: "Delivery",
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
    excluded: "Not field work",
    never: "not yet",
    autoRefresh: "The page refreshes itself when the status changes.",
  },
} as const;

export type LabelKey = keyof (typeof LABELS)["fi"];

const STATUS: Record<Lang, Record<string, string>> = {
  fi: {
    pending: "Odottaa välitystä",
    sent: "Lähetetty",
    received: "Vastaanotettu",
    in_progress: "Työn alla",
    completed: "Valmis",
    scheduled_later: "Siirretty myöhemmäksi",
    no_action: "Ei toimenpiteitä",
    interrupted: "Keskeytetty",
    wrong_contractor: "Väärä urakoitsija",
    cancelled: "Peruttu",
  },
  en: {
    pending: "Waiting for delivery",
    sent: "Sent",
    received: "Received",
    in_progress: "In progress",
    completed: "Completed",
    scheduled_later: "Scheduled later",
    no_action: "No action needed",
    interrupted: "Interrupted",
    wrong_contractor: "Wrong contractor",
    cancelled: "Cancelled",
  },
};

const SLA: Record<Lang, Record<string, string>> = {
  fi: { on_track: "Aikataulussa", overdue: "Myöhässä", met: "Toteutui", missed: "Ei toteutunut", not_applicable: "Ei sovellu" },
  en: { on_track: "On track", overdue: "Overdue", met: "Met", missed: "Missed", not_applicable: "Not applicable" },
};

const OPERATION: Record<Lang, Record<string, string>> = {
  fi: {
    intake: "Palaute luettu",
    route: "Reititetty",
    exclude: "Rajattu pois",
    create_work_order: "Työtilaus luotu",
    cancel_work_order: "Työtilaus peruttu",
    field_status: "Kenttätila saapui",
    write_back: "Tila kirjattu palautteeseen",
    park: "Pysäytetty",
    reroute: "Reititetty uudelleen",
  },
  en: {
    intake: "Case read",
    route: "Routed",
    exclude: "Excluded",
    create_work_order: "Work order created",
    cancel_work_order: "Work order cancelled",
    field_status: "Field status received",
    write_back: "Status written back",
    park: "Parked",
    reroute: "Re-routed",
  },
};

const DIRECTION: Record<Lang, Record<string, string>> = {
  fi: {
    source_in: "kaupungilta",
    target_out: "urakoitsijalle",
    target_in: "urakoitsijalta",
    source_out: "kaupungille",
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

/** The labels of one language; unknown codes show as themselves. */
export function labelsFor(lang: Lang) {
  return {
    t: (key: LabelKey) => LABELS[lang][key],
    status: (code: string | null) => (code ? (STATUS[lang][code] ?? code) : "–"),
    sla: (state: string) => SLA[lang][state] ?? state,
    operation: (op: string) => OPERATION[lang][op] ?? op,
    direction: (d: string) => DIRECTION[lang][d] ?? d,
  };
}
