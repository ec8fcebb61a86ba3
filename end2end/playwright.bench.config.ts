import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The device benchmark: prints figures, asserts none. Same release server as the tests.
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  projects: [base.projects![0]],
});
