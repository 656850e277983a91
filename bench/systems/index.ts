/** Every system the bench knows, what server it needs, and which workloads apply to it. */
import type { QueueSystem } from '../lib/types.js';
import type { Floor } from './raw.js';

export type Server = 'postgres' | 'redis';

/** What every queue runs (the raw floors run only FLOOR_WORKLOADS). */
const QUEUE_WORKLOADS = [
  'enqueue',
  'bulk',
  'drain-c1',
  'drain-c20',
  'drain-5ms-c20',
  'pickup',
  'pickup-xproc',
] as const;
const FLOOR_WORKLOADS = ['floor-tx1', 'floor-b100'] as const;
export const QUICK_WORKLOADS = [...QUEUE_WORKLOADS, ...FLOOR_WORKLOADS] as const;
export const SCALE_WORKLOADS = ['scale-10k', 'scale-100k', 'scale-1m'] as const;
export const FULL_WORKLOADS = [...QUICK_WORKLOADS, ...SCALE_WORKLOADS, 'procs4'] as const;
export type Workload = (typeof FULL_WORKLOADS)[number];

/** Queues whose workers can share one store from several processes. */
const MULTI_PROCESS_WORKLOADS: readonly Workload[] = [...QUEUE_WORKLOADS, 'procs4'];
/** holdfast alone is also measured with a large backlog (the scale targets). */
const HOLDFAST_WORKLOADS: readonly Workload[] = [...MULTI_PROCESS_WORKLOADS, ...SCALE_WORKLOADS];

export interface SystemInfo {
  name: string;
  needs: Server | null;
  /** The npm package whose version is reported. */
  pkg: string;
  workloads: readonly Workload[];
  /** Loads the adapter (and its package) only in the process that runs it. */
  make(): Promise<QueueSystem | Floor>;
}

export const SYSTEMS: SystemInfo[] = [
  {
    name: 'holdfast-sqlite',
    needs: null,
    pkg: 'holdfast',
    workloads: HOLDFAST_WORKLOADS,
    make: async () => new (await import('./holdfast.js')).HoldfastSystem('sqlite'),
  },
  {
    name: 'holdfast-pg',
    needs: 'postgres',
    pkg: 'holdfast',
    workloads: HOLDFAST_WORKLOADS,
    make: async () => new (await import('./holdfast.js')).HoldfastSystem('pg'),
  },
  {
    name: 'plainjob',
    needs: null,
    pkg: 'plainjob',
    workloads: MULTI_PROCESS_WORKLOADS,
    make: async () => new (await import('./plainjob.js')).PlainjobSystem(),
  },
  {
    name: 'bullmq',
    needs: 'redis',
    pkg: 'bullmq',
    workloads: MULTI_PROCESS_WORKLOADS,
    make: async () => new (await import('./bullmq.js')).BullmqSystem(),
  },
  {
    name: 'pg-boss',
    needs: 'postgres',
    pkg: 'pg-boss',
    workloads: QUEUE_WORKLOADS,
    make: async () => new (await import('./pgboss.js')).PgBossSystem(),
  },
  {
    name: 'graphile-worker',
    needs: 'postgres',
    pkg: 'graphile-worker',
    workloads: MULTI_PROCESS_WORKLOADS,
    make: async () => new (await import('./graphile.js')).GraphileSystem(),
  },
  {
    name: 'p-queue',
    needs: null,
    pkg: 'p-queue',
    workloads: ['drain-c1', 'drain-c20', 'drain-5ms-c20', 'pickup'],
    make: async () => new (await import('./pqueue.js')).PQueueSystem(),
  },
  {
    name: 'raw-sqlite',
    needs: null,
    pkg: 'better-sqlite3',
    workloads: FLOOR_WORKLOADS,
    make: async () => new (await import('./raw.js')).RawSqliteFloor(),
  },
  {
    name: 'raw-pg',
    needs: 'postgres',
    pkg: 'pg',
    workloads: FLOOR_WORKLOADS,
    make: async () => new (await import('./raw.js')).RawPgFloor(),
  },
];

export function systemInfo(name: string): SystemInfo {
  const info = SYSTEMS.find((system) => system.name === name);
  if (!info)
    throw new Error(
      `Unknown system ${JSON.stringify(name)}; known: ${SYSTEMS.map((s) => s.name).join(', ')}`,
    );
  return info;
}
