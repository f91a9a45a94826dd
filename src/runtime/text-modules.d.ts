// Mapping files imported as text by the Worker bundle (wrangler.toml `rules`, type "Text").
declare module "*.yaml" {
  const text: string;
  export default text;
}
declare module "*.geojson" {
  const text: string;
  export default text;
}
