// The admin endpoint table: path, help text, whether it changes server state
// (POST only), and the handler. Each handler family lives in its own file.
import type { Server } from '../server/server.js';
import type { AdminServer } from './admin_server.js';
import { STATS_HANDLERS } from './stats_handlers.js';
import { CLUSTER_HANDLERS } from './cluster_handlers.js';
import { CONFIG_DUMP_HANDLERS } from './config_dump.js';
import { SERVER_HANDLERS } from './server_handlers.js';

export interface AdminRequest {
  server: Server;
  admin: AdminServer;
  query: URLSearchParams;
  method: string;
}

export interface AdminResponse {
  status: number;
  body: string;
  contentType?: string;
  /** Runs after the response is written (quitquitquit exits here). */
  after?: () => void;
}

export interface AdminHandler {
  path: string;
  help: string;
  mutates: boolean;
  handle(request: AdminRequest): AdminResponse | Promise<AdminResponse>;
}

export const ADMIN_HANDLERS: AdminHandler[] = [...STATS_HANDLERS, ...CLUSTER_HANDLERS, ...CONFIG_DUMP_HANDLERS, ...SERVER_HANDLERS];

export const json = (value: unknown, status = 200): AdminResponse => ({
  status,
  body: JSON.stringify(value, null, 1) + '\n',
  contentType: 'application/json',
});

export const text = (body: string, status = 200): AdminResponse => ({ status, body });
