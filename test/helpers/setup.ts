import { afterEach, expect } from 'vitest';
import { runningExecutors } from '../../src/worker/job-executor.js';
import { killLeftoverChildren } from './processes.js';

// A test that leaves a worker running (in this process or as a child) fails: a stray worker
// would keep claiming jobs of the next test and hide bugs in shutdown.
afterEach(async () => {
  const leftovers = [...runningExecutors()];
  await Promise.all(leftovers.map((executor) => executor.stop({ graceMs: 0 })));
  const children = killLeftoverChildren();
  expect(leftovers.length, 'a worker was left running by this test').toBe(0);
  expect(children, 'a child process was left running by this test').toEqual([]);
});
