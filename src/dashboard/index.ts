export { createDashboardHandler, type DashboardHandler, type DashboardOptions } from './handler.js';
export {
  startDashboard,
  assertSafeBind,
  DEFAULT_DASHBOARD_PORT,
  type DashboardServer,
  type DashboardServerOptions,
} from './server.js';
export { html, escapeHtml, SafeHtml } from './html.js';
