#!/usr/bin/env node
/** The `tsbd` executable: runs the command line and exits with its code (see `main`). */
import { main } from './main';

void main(process.argv).then((code) => {
  process.exitCode = code;
});
