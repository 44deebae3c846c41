/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Builds dist/ (tests of the CLI, ESM entry and packaging run the compiled package).
  globalSetup: '<rootDir>/test/helpers/global_setup.js',
  testTimeout: 60000,
};
