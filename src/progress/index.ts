export { ProgressTracker, type ProgressTrackerOptions } from './progress-tracker.js';
export { WorkItemsFile, type WorkItemsUpdate } from './work-items-file.js';
