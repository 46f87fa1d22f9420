// The book's webapp sample service (calls catalog).
export { defaultCatalogUrl, startWebapp, webappHandler, type WebappOptions } from './server.js';
