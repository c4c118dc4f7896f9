export { makeConsoleHandler } from '../console.ts';
