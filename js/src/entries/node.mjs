// Node, ES module: the wasm bytes come from the file next to this one.
import { readFileSync } from 'node:fs';
import { initSync } from '../../build/raw/tessera.js';

initSync({ module: readFileSync(new URL('./tessera.wasm', import.meta.url)) });

export * from '../api.js';
