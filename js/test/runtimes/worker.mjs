// A workerd test worker: `workerd test` calls `test()`, which fails by throwing.
import * as api from 'tessera-authz';
import fixtures from './fixtures.mjs';
import { MIN_CASES, runVectors } from './vectors.mjs';

export default {
  async test() {
    const { total, failures } = runVectors(api, fixtures);
    console.log(`workerd: ${total} vector cases, ${failures.length} failures`);
    if (failures.length > 0) throw new Error(`vector failures: ${JSON.stringify(failures.slice(0, 5))}`);
    if (total < MIN_CASES) throw new Error(`only ${total} cases ran`);
  },
};
