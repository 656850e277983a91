/**
 * Every `holdfast` command, one registrar each. To add a command, write commands/<name>.ts
 * exporting `register<Name>(program)` and add it to this list (order = order in --help).
 */
import type { Command } from 'commander';
import { registerCancel } from './cancel.js';
import { registerDashboard } from './dashboard.js';
import { registerDemo } from './demo.js';
import { registerEnqueue } from './enqueue.js';
import { registerExtractImages } from './extract-images.js';
import { registerJobs } from './jobs.js';
import { registerMigrateStore } from './migrate-store.js';
import { registerPurge } from './purge.js';
import { registerRetry } from './retry.js';
import { registerShow } from './show.js';
import { registerStatus } from './status.js';
import { registerWork } from './work.js';

export type Registrar = (program: Command) => void;

export const commands: Registrar[] = [
  registerEnqueue,
  registerWork,
  registerStatus,
  registerJobs,
  registerShow,
  registerRetry,
  registerCancel,
  registerPurge,
  registerDashboard,
  registerMigrateStore,
  registerDemo,
  registerExtractImages,
];
