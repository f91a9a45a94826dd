/**
 * Material for synthetic Helsinki feedback, written for the simulator (no citizen's text is
 * copied from the real data). Districts are spread over the whole city, west to east, so that
 * routing by area gets cases everywhere; coordinates are district centres, jittered by the
 * generator and kept inside lat 60.15–60.28, long 24.83–25.20.
 */

export interface District {
  name: string;
  lat: number;
  long: number;
  zip: string;
  streets: readonly string[];
}

export const HELSINKI_BOUNDS = { minLat: 60.15, maxLat: 60.28, minLong: 24.83, maxLong: 25.2 } as const;

export const DISTRICTS: readonly District[] = [
  // West
  { name: "Lauttasaari", lat: 60.158, long: 24.875, zip: "00200", streets: ["Lauttasaarentie", "Isokaari", "Heikkiläntie"] },
  {
    name: "Munkkiniemi",
    lat: 60.198,
    long: 24.877,
    zip: "00330",
    streets: ["Munkkiniemen puistotie", "Huopalahdentie", "Laajalahdentie"],
  },
  { name: "Etelä-Haaga", lat: 60.218, long: 24.895, zip: "00320", streets: ["Kauppalantie", "Isonnevantie", "Vihdintie"] },
  { name: "Pitäjänmäki", lat: 60.222, long: 24.862, zip: "00370", streets: ["Pitäjänmäentie", "Valimotie", "Takkatie"] },
  { name: "Konala", lat: 60.236, long: 24.845, zip: "00390", streets: ["Konalantie", "Ristipellontie"] },
  { name: "Kannelmäki", lat: 60.241, long: 24.877, zip: "00420", streets: ["Kantelettarentie", "Vanha Hämeenkyläntie"] },
  { name: "Malminkartano", lat: 60.249, long: 24.86, zip: "00410", streets: ["Malminkartanontie", "Puustellinpolku"] },
  // Centre
  { name: "Kamppi", lat: 60.168, long: 24.931, zip: "00100", streets: ["Fredrikinkatu", "Salomonkatu", "Annankatu"] },
  { name: "Punavuori", lat: 60.159, long: 24.94, zip: "00150", streets: ["Iso Roobertinkatu", "Albertinkatu", "Tehtaankatu"] },
  { name: "Kruununhaka", lat: 60.172, long: 24.957, zip: "00170", streets: ["Liisankatu", "Maneesikatu", "Meritullinkatu"] },
  { name: "Töölö", lat: 60.182, long: 24.922, zip: "00250", streets: ["Topeliuksenkatu", "Runeberginkatu", "Mannerheimintie"] },
  { name: "Kallio", lat: 60.184, long: 24.95, zip: "00530", streets: ["Helsinginkatu", "Fleminginkatu", "Vaasankatu"] },
  { name: "Pasila", lat: 60.199, long: 24.933, zip: "00520", streets: ["Ratapihantie", "Radiokatu", "Asemapäällikönkatu"] },
  // North
  { name: "Oulunkylä", lat: 60.229, long: 24.965, zip: "00640", streets: ["Siltavoudintie", "Käskynhaltijantie"] },
  { name: "Paloheinä", lat: 60.258, long: 24.925, zip: "00670", streets: ["Paloheinäntie", "Pakilantie"] },
  { name: "Malmi", lat: 60.251, long: 25.011, zip: "00700", streets: ["Kirkonkyläntie", "Malmin raitti"] },
  { name: "Tapanila", lat: 60.262, long: 25.03, zip: "00730", streets: ["Tapanilankaari", "Päivöläntie"] },
  { name: "Viikki", lat: 60.226, long: 25.015, zip: "00790", streets: ["Viikinkaari", "Latokartanontie"] },
  // East
  { name: "Herttoniemi", lat: 60.195, long: 25.03, zip: "00800", streets: ["Hiihtäjäntie", "Linnanrakentajantie"] },
  { name: "Laajasalo", lat: 60.17, long: 25.045, zip: "00840", streets: ["Laajasalontie", "Kuukiventie"] },
  { name: "Myllypuro", lat: 60.224, long: 25.076, zip: "00920", streets: ["Kiviportintie", "Myllypurontie"] },
  { name: "Itäkeskus", lat: 60.21, long: 25.082, zip: "00930", streets: ["Turunlinnantie", "Itäkatu"] },
  { name: "Kontula", lat: 60.236, long: 25.083, zip: "00940", streets: ["Kontulantie", "Ostostie"] },
  { name: "Mellunmäki", lat: 60.238, long: 25.11, zip: "00970", streets: ["Mellunmäentie", "Kivikonkaari"] },
  { name: "Vuosaari", lat: 60.209, long: 25.145, zip: "00980", streets: ["Vuotie", "Kallvikintie", "Meri-Rastilantie"] },
  { name: "Östersundom", lat: 60.253, long: 25.185, zip: "00890", streets: ["Östersundomintie", "Sakarinmäentie"] },
];

export interface FeedbackTemplate {
  title: string;
  /** `{addr}` is replaced by a street address such as "Kontulantie 12". */
  text: string;
}

/** Templates per service code. 178 is a code Helsinki used in published requests but not in services.json. */
export const FEEDBACK_TEMPLATES: Readonly<Record<string, readonly FeedbackTemplate[]>> = {
  "171": [
    {
      title: "Kuoppa ajoradalla",
      text: "Osoitteessa {addr} on ajoradalla syvä kuoppa aivan suojatien vieressä. Autot väistävät sitä vastaantulevien kaistalle.",
    },
    {
      title: "Asfaltti murtunut",
      text: "Kevyen liikenteen väylän asfaltti on murtunut noin kymmenen metrin matkalta lähellä osoitetta {addr}. Pyörän renkaat iskeytyvät reunoihin.",
    },
    {
      title: "Kaivonkansi painunut",
      text: "Kaivonkansi on painunut selvästi ajoradan pintaa alemmas osoitteessa {addr}. Kolahdus kuuluu aina kun bussi ajaa yli.",
    },
    {
      title: "Reunakivi irronnut",
      text: "Reunakivi on irronnut ja kaatunut jalkakäytävälle osoitteessa {addr}. Lastenvaunujen kanssa ei pääse ohi.",
    },
  ],
  "172": [
    {
      title: "Penkki rikottu",
      text: "Puiston penkin selkänoja on revitty irti lähellä osoitetta {addr}. Laudat ovat maassa ja niissä on nauloja pystyssä.",
    },
    {
      title: "Roska-astia kaadettu",
      text: "Joku on kaatanut ja vääntänyt roska-astian telineineen osoitteessa {addr}. Roskat leviävät tuulen mukana.",
    },
    {
      title: "Bussikatoksen lasi rikki",
      text: "Bussikatoksen sivulasi on rikottu osoitteessa {addr}, ja lasinsiruja on pysäkin edessä.",
    },
  ],
  "174": [
    {
      title: "Kaatunut puu puistossa",
      text: "Myrskyn jäljiltä puistossa lähellä osoitetta {addr} on kaatunut koivu kävelypolun yli.",
    },
    {
      title: "Pensaat peittävät näkymän",
      text: "Pensaat ovat kasvaneet niin korkeiksi osoitteen {addr} kohdalla, ettei risteykseen tulevia pyöräilijöitä näe ajoissa.",
    },
    {
      title: "Nurmikko ajettu rikki",
      text: "Puiston nurmikko on ajettu rikki huoltoajoneuvolla osoitteen {addr} lähellä, ja vesi seisoo urissa.",
    },
  ],
  "176": [
    {
      title: "Alikulku töhritty",
      text: "Alikulun seinät on töhritty spraymaalilla osoitteen {addr} lähellä. Osa teksteistä on loukkaavia.",
    },
    { title: "Sähkökaappi töhritty", text: "Sähkökaappi kadunkulmassa osoitteessa {addr} on maalattu täyteen tageja." },
    { title: "Meluseinässä graffiti", text: "Meluseinään on ilmestynyt yön aikana iso graffiti, osoite {addr}." },
  ],
  "178": [
    {
      title: "Työmaan aidat kaatuneet",
      text: "Työmaan aidat ovat kaatuneet jalkakäytävälle osoitteessa {addr}, eikä jalankulkija pääse ohi.",
    },
  ],
  "180": [
    {
      title: "Katuvalo ei pala",
      text: "Katuvalo on ollut pimeänä jo viikon osoitteessa {addr}. Kävelytie on iltaisin täysin pimeä.",
    },
    {
      title: "Portaiden kaide heiluu",
      text: "Ulkoportaiden kaide on löystynyt ja heiluu, osoite {addr}. Kaidetta tarvitaan etenkin liukkailla kelillä.",
    },
    { title: "Sadevesikaivo tukossa", text: "Sadevesikaivo on tukossa osoitteessa {addr}, ja sateella koko risteys lainehtii." },
  ],
  "198": [
    { title: "Liikennemerkki kaatunut", text: "Stop-merkki on ajettu kumoon osoitteessa {addr} ja makaa nyt ojassa." },
    {
      title: "Nopeusrajoitusmerkki kääntynyt",
      text: "Nopeusrajoitusmerkki on kääntynyt väärään suuntaan osoitteessa {addr}, joten se ei näy autoilijoille.",
    },
    { title: "Merkki oksien peitossa", text: "Suojatiemerkki on kokonaan puun oksien takana osoitteessa {addr}." },
  ],
  "199": [
    { title: "Opaste väärään suuntaan", text: "Ulkoilureitin opaste osoittaa väärään suuntaan lähellä osoitetta {addr}." },
    {
      title: "Kadunnimikyltti puuttuu",
      text: "Kadunnimikyltti on irronnut risteyksestä osoitteessa {addr}, eikä taksi löytänyt perille.",
    },
    { title: "Infotaulu haalistunut", text: "Puiston infotaulun kartta on haalistunut lukukelvottomaksi, osoite {addr}." },
  ],
  "211": [
    { title: "Keinun istuin rikki", text: "Leikkipuiston keinun istuin on haljennut ja siinä on terävä reuna, osoite {addr}." },
    {
      title: "Liukumäen portaat löysällä",
      text: "Liukumäen portaiden askelmat heiluvat leikkipuistossa lähellä osoitetta {addr}.",
    },
    {
      title: "Koripallokorin rengas irti",
      text: "Liikuntapuiston koripallokorin rengas roikkuu yhden ruuvin varassa, osoite {addr}.",
    },
  ],
  "234": [
    {
      title: "Kaatuneita puita polulla",
      text: "Metsäpolulla lähellä osoitetta {addr} on useita kaatuneita kuusia, eikä polkua pääse kulkemaan.",
    },
    { title: "Kuollut puu kallellaan", text: "Iso kuollut mänty on kallistunut kohti ulkoilureittiä osoitteen {addr} lähellä." },
    {
      title: "Risukasat polun vieressä",
      text: "Harvennuksen jäljiltä risukasoja on jätetty polun viereen osoitteen {addr} lähelle.",
    },
  ],
  "246": [
    { title: "Roskia rannalla", text: "Rannalla lähellä osoitetta {addr} on paljon pulloja ja muovipusseja." },
    {
      title: "Huonekaluja metsän reunassa",
      text: "Joku on tuonut vanhan sohvan ja patjoja metsän reunaan osoitteen {addr} lähelle.",
    },
    {
      title: "Roska-astia ylitäynnä",
      text: "Roska-astia on ollut ylitäynnä jo viikon osoitteessa {addr}, ja linnut levittävät roskia.",
    },
  ],
  "2805": [
    {
      title: "Päiväkotipaikan päätös",
      text: "Haimme päiväkotipaikkaa syksyksi, mutta päätöstä ei ole vielä tullut. Milloin voimme odottaa vastausta?",
    },
  ],
  "2806": [
    {
      title: "Työmaan melu aamuisin",
      text: "Naapurikorttelin rakennustyömaalla paukutetaan jo kuudelta aamulla. Onko työmaalla lupa aloittaa näin aikaisin?",
    },
  ],
  "2807": [
    {
      title: "Kirjaston aukioloajat",
      text: "Kirjaston lauantain aukioloaikaa on lyhennetty. Toivoisin, että kirjasto olisi auki myös arki-iltaisin.",
    },
  ],
  "2808": [
    {
      title: "Terveysaseman puhelinjono",
      text: "Terveysaseman puhelinjonossa joutuu odottamaan yli tunnin, eikä luvattua takaisinsoittoa tullut.",
    },
  ],
  "2809": [
    {
      title: "Verkkosivujen haku",
      text: "Kaupungin verkkosivuilta on vaikea löytää tietoa kaavoitushankkeista, koska haku ei löydä mitään.",
    },
  ],
};

/** Replies of the feedback desk, by what happened to the case. */
export const DESK_REPLIES = {
  forwarded: [
    "Kiitos palautteestanne. Olemme välittäneet asian alueen kunnossapidolle korjattavaksi.\n\nYstävällisin terveisin\nAsiakaspalvelu",
    "Hei,\nkiitos ilmoituksesta. Pyyntö on siirretty kunnossapidon urakoitsijalle, joka käy tarkistamassa kohteen.\n\nTerveisin\nAsiakaspalvelu",
  ],
  answered: [
    "Kiitos palautteestanne. Asia on kirjattu tiedoksi, ja se otetaan huomioon alueen suunnittelussa.\n\nTerveisin\nAsiakaspalvelu",
    "Kiitos yhteydenotostanne. Vastaus on lähetetty toimialalta sähköpostitse.\n\nYstävällisin terveisin\nAsiakaspalvelu",
  ],
} as const;

/** Agencies responsible, by service code (field codes went to the public works department). */
export const AGENCY_BY_CODE: Readonly<Record<string, string>> = {
  "2805": "Kasvatuksen ja koulutuksen toimiala",
  "2806": "Kaupunkiympäristön toimiala",
  "2807": "Kulttuurin ja vapaa-ajan toimiala",
  "2808": "Sosiaali- ja terveystoimiala",
  "2809": "Kaupunginkanslia",
};
export const FIELD_AGENCY = "Rakennusvirasto";
