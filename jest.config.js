/** Jest runs in the plain Node environment: tfjs's typed-array checks fail under jsdom's VM context. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  setupFiles: ['<rootDir>/test/setup.ts'],
  testTimeout: 120000,
  // Two workers on CI's two cores: the example tests (test/examples) spend minutes in a child process each, and the
  // rest of the suite runs beside them.
  maxWorkers: 2,
  testSequencer: '<rootDir>/test/sequencer.js',
};
