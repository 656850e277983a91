/**
 * Every `holdfast` command: its name and how to load its registrar. To add a command, write
 * commands/<name>.ts exporting `register<Name>(program)` and add one line here (order = order
 * in --help).
 *
 * Loading is lazy: `holdfast status` imports only status.ts, not the dashboard or the image
 * pipeline, which took startup from about 0.5 s to 0.15 s on this 2-core machine.
 */
import type { Command } from 'commander';

export type Registrar = (program: Command) => void;

export interface CommandEntry {
  name: string;
  load: () => Promise<Registrar>;
}

export const commands: CommandEntry[] = [
  { name: 'enqueue', load: async () => (await import('./enqueue.js')).registerEnqueue },
  { name: 'work', load: async () => (await import('./work.js')).registerWork },
  { name: 'status', load: async () => (await import('./status.js')).registerStatus },
  { name: 'jobs', load: async () => (await import('./jobs.js')).registerJobs },
  { name: 'show', load: async () => (await import('./show.js')).registerShow },
  { name: 'retry', load: async () => (await import('./retry.js')).registerRetry },
  { name: 'cancel', load: async () => (await import('./cancel.js')).registerCancel },
  { name: 'purge', load: async () => (await import('./purge.js')).registerPurge },
  { name: 'pause', load: async () => (await import('./pause.js')).registerPause },
  { name: 'resume', load: async () => (await import('./pause.js')).registerResume },
  { name: 'queue', load: async () => (await import('./queue-config.js')).registerQueueConfig },
  { name: 'schedule', load: async () => (await import('./schedule.js')).registerSchedule },
  { name: 'dashboard', load: async () => (await import('./dashboard.js')).registerDashboard },
  {
    name: 'migrate-store',
    load: async () => (await import('./migrate-store.js')).registerMigrateStore,
  },
  { name: 'demo', load: async () => (await import('./demo.js')).registerDemo },
  {
    name: 'extract-images',
    load: async () => (await import('./extract-images.js')).registerExtractImages,
  },
];
