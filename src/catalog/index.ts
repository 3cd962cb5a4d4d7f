export { SessionCatalog, type CatalogSource, type Route } from './catalog.js';
export { publicName, publicUri } from './naming.js';
export { resultWithPublicUris } from './result-uris.js';
export { serverFilter, ORIGIN_META_KEY, type ServerFilter } from './filter.js';
