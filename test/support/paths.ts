import { fileURLToPath } from "node:url";

export const TMP_DIR = fileURLToPath(new URL("../.tmp", import.meta.url));
export const PGLITE_TEMPLATE_PATH = `${TMP_DIR}/pglite-template.tar`;
export const PG_TEMPLATE_DATABASE = "silta_test_template";
export const HELSINKI_DATA_DIR = fileURLToPath(new URL("../../../shared/data/helsinki", import.meta.url));
