import { beforeAll } from 'vitest';
import { defineStoreConformance } from './conformance.js';
import {
  dropSchema,
  openTestStore,
  randomSchema,
  requirePostgres,
} from '../postgres/pg-helpers.js';

beforeAll(requirePostgres);

// A fresh schema per test: the suite expects an empty store every time.
defineStoreConformance('postgres', async () => {
  const schema = randomSchema('conf');
  const store = await openTestStore(schema);
  return {
    store,
    openAnother: () => openTestStore(schema),
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});
