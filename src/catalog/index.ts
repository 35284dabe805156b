export { loadCatalog, makeCatalog, CATALOG_DATA_DIR, type LoadCatalogOptions } from './load.ts';
export { priceJob, priceRule, describePrice, roundUsd } from './price.ts';
export { sizeFor, sizeText } from './sizes.ts';
