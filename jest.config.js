'use strict';
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testTimeout: 30000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Baileys rc14 leaves a ref'd 30 s timer behind each login (the pre-key upload timeout in Socket/socket.js is
  // never cleared), so after the last test jest would wait for those timers instead of exiting.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/reporters/summary-reporter.js'],
};
