export { createMetrics, type HoldfastMetrics, type MetricsOptions } from './metrics.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server.js';
