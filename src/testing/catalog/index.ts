// The book's catalog sample service.
export { CATALOG_ITEMS, catalogHandler, startCatalog, type CatalogItem, type CatalogOptions } from './server.js';
