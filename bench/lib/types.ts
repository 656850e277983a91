/** What every system adapter offers the workloads. One adapter instance drives one fresh store. */
export interface Payload {
  i: number;
}

export type Handler = (payload: Payload) => void | Promise<void>;

export interface WorkOptions {
  concurrency: number;
  handler: Handler;
  /** Called once per job when the system reports it complete (or, where it reports nothing, when the handler returned). */
  onCompleted: () => void;
}

export interface Running {
  stop(): Promise<void>;
}

export interface QueueSystem {
  readonly name: string;
  /** How the system is configured here, for RESULTS.md (one short line each). */
  readonly config: string[];
  /** Creates the fresh store (file, schema, key prefix) this run uses. */
  setup(): Promise<void>;
  /** A JSON-able handle another process passes to `attach` to use the same store. */
  handle(): unknown;
  /** Opens the store made by `setup` in another process (for workers only). */
  attach(handle: unknown): Promise<void>;
  addOne(payload: Payload): Promise<void>;
  addBulk(payloads: Payload[]): Promise<void>;
  /** The fastest way to load many jobs before a timed workload (default: addBulk). */
  load?(payloads: Payload[]): Promise<void>;
  work(options: WorkOptions): Promise<Running>;
  /** The durability this run actually has, read from the server or file where possible. */
  durability(): Promise<string>;
  /** Closes connections; with `drop`, removes what `setup` created. */
  close(drop: boolean): Promise<void>;
}

/** One measured figure. Fields that do not apply are left out. */
export interface Result {
  system: string;
  workload: string;
  jobs_per_s?: number;
  p50_ms?: number;
  p95_ms?: number;
  fraction_of_ideal?: number;
  jobs?: number;
  /** True when a time cap ended the run before every job was done; the rate is over the jobs done. */
  capped?: boolean;
  /** scale: jobs waiting when the worker started; RSS of the worker process. */
  waiting?: number;
  rss_mb?: number;
  skipped?: string;
  error?: string;
}
