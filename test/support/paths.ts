import { fileURLToPath } from "node:url";

export const TMP_DIR = fileURLToPath(new URL("../.tmp", import.meta.url));
export const PGLITE_TEMPLATE_PATH = `${TMP_DIR}/pglite-template.tar`;
export const PG_TEMPLATE_DATABASE = "silta_test_template";
/** Real Helsinki Open311 records (© City of Helsinki), copied into the project as test fixtures. */
export const HELSINKI_DATA_DIR = fileURLToPath(new URL("../fixtures/helsinki", import.meta.url));
