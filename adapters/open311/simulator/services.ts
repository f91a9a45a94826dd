/**
 * The simulator's service catalogue: Helsinki's fifteen services of April 2019 (ten street and
 * park maintenance codes, five department codes). Finnish names, groups and descriptions are the
 * city's (`services.json?locale=fi`); English names are those Helsinki put in `service_name` of
 * requests (2015), with plain translations for the department codes, which came later.
 * `fieldWork` marks services whose requests can be handed to public works (PUBLIC_WORKS_*).
 */
export interface SimService {
  code: string;
  nameEn: string;
  nameFi: string;
  groupFi: string;
  descriptionFi: string;
  keywords: string;
  fieldWork: boolean;
}

export const HELSINKI_SERVICES: readonly SimService[] = [
  {
    code: "171",
    nameEn: "Potholes",
    nameFi: "Katujen kunto",
    groupFi: "Katujen kunto ja liikenne",
    descriptionFi: "Onko tiessä kuoppa? Anna palautetta katujen kuntoon liittyen.",
    keywords: "tie,kuoppa",
    fieldWork: true,
  },
  {
    code: "172",
    nameEn: "Vandalism",
    nameFi: "Ilkivalta",
    groupFi: "Puhtaanapito",
    descriptionFi: "Onko puistonpenkki heitetty ojaan tai infotaulu rikottu? Anna palautetta ilkivaltaan liittyen.",
    keywords: "ilkivalta, penkit, istuimet,pöydät, katokset, grillit, lipputangot, roska-astiat",
    fieldWork: true,
  },
  {
    code: "174",
    nameEn: "Parks",
    nameFi: "Puistot",
    groupFi: "Metsät ja puistot",
    descriptionFi: "Ilmoita, jos huomaat puiston olevan huonossa kunnossa.",
    keywords: "pensaat,kasvit",
    fieldWork: true,
  },
  {
    code: "176",
    nameEn: "Graffiti removal",
    nameFi: "Töhryjen poisto",
    groupFi: "Puhtaanapito",
    descriptionFi: "Ilmoita, jos paikkoja tai seiniä on töhritty.",
    keywords: "roska,jäte",
    fieldWork: true,
  },
  {
    code: "180",
    nameEn: "Other issue to be fixed",
    nameFi: "Muu korjattava asia",
    groupFi: "Muut korjattavat asiat",
    descriptionFi: "Onko joku muu korjattava asia joka vaatisi kaupungin toimia?",
    keywords: "",
    fieldWork: true,
  },
  {
    code: "198",
    nameEn: "Traffic signs",
    nameFi: "Liikennemerkit",
    groupFi: "Katujen kunto ja liikenne",
    descriptionFi: "Ilmoita, jos liikennemerkki on ajettu nurin, vinossa tai siinä on muuta huomautettavaa.",
    keywords: "liikennemerkki,valot",
    fieldWork: true,
  },
  {
    code: "199",
    nameEn: "Info signs",
    nameFi: "Kyltit ja opasteet",
    groupFi: "Katujen kunto ja liikenne",
    descriptionFi: "Ilmoita, jos kaupungin kylteissä ja opasteissa on huomautettavaa.",
    keywords: "kyltit,opasteet",
    fieldWork: true,
  },
  {
    code: "211",
    nameEn: "Playgrounds and sports parks",
    nameFi: "Leikki- ja liikuntapuistot",
    groupFi: "Metsät ja puistot",
    descriptionFi: "Ilmoita, jos leikki- tai liikuntapuiston välineissä on huomautettavaa.",
    keywords: "leikkipuisto,liikuntapaikka",
    fieldWork: true,
  },
  {
    code: "234",
    nameEn: "Forests",
    nameFi: "Metsät",
    groupFi: "Metsät ja puistot",
    descriptionFi: "Ilmoita, jos metsä tarvitsee hoitoa.",
    keywords: "metsä, pelto",
    fieldWork: true,
  },
  {
    code: "246",
    nameEn: "Sanitation violation",
    nameFi: "Roskaaminen",
    groupFi: "Puhtaanapito",
    descriptionFi: "Ilmoita, jos havaitset suuria määriä roskia yleisillä alueilla, puistoissa tai metsissä.",
    keywords: "roska,jäte",
    fieldWork: true,
  },
  {
    code: "2805",
    nameEn: "Education",
    nameFi: "Kasvatus ja koulutus",
    groupFi: "Toimialat",
    descriptionFi: "Kasvatuksen ja koulutuksen toimiala",
    keywords: "varhaiskasvatus,esiopetus,perusopetus,lukio,ammatillinen koulutus",
    fieldWork: false,
  },
  {
    code: "2806",
    nameEn: "Urban environment",
    nameFi: "Kaupunkiympäristö",
    groupFi: "Toimialat",
    descriptionFi: "Kaupunkiympäristö",
    keywords: "maankäyttö,kaupunkirakenne,rakennukset,yleiset alueet,luvat",
    fieldWork: false,
  },
  {
    code: "2807",
    nameEn: "Culture and leisure",
    nameFi: "Kulttuuri ja vapaa-aika",
    groupFi: "Toimialat",
    descriptionFi: "Kulttuuri ja vapaa-aika",
    keywords: "kulttuuri,taide,vapaa-aika,ruotsinkielinen työväenopisto",
    fieldWork: false,
  },
  {
    code: "2808",
    nameEn: "Social services and health care",
    nameFi: "Sosiaali- ja terveyspalvelut",
    groupFi: "Toimialat",
    descriptionFi: "Sosiaali- ja terveystoimiala",
    keywords: "perhepalvelut,sosiaalipalvelut,terveys,päihdepalvelut,sairaalapalvelut,kuntoutus,hoivapalvelut",
    fieldWork: false,
  },
  {
    code: "2809",
    nameEn: "General and other feedback",
    nameFi: "Yleinen ja muu palaute",
    groupFi: "Toimialat",
    descriptionFi: "Keskushallintoa tai useita toimialoja tai muita asioita koskeva palaute",
    keywords: "yleinen palaute",
    fieldWork: false,
  },
];

/** The catalogue entry for a code, or undefined (published requests do carry codes missing here). */
export function findService(code: string): SimService | undefined {
  return HELSINKI_SERVICES.find((service) => service.code === code);
}

/** Whether a `locale` parameter asks for Finnish (`fi`, `fi_FI`, `fi-FI`). */
export function isFinnishLocale(locale: string | undefined): boolean {
  return locale?.toLowerCase().startsWith("fi") ?? false;
}
