// A workerd test worker: `workerd test` calls `test()`, which fails by throwing.
import * as api from 'tessera-authz';
import fixtures from './fixtures.mjs';
import { MIN_CASES, runTokenVectorsAsync, runVectors } from './vectors.mjs';

export default {
  async test() {
    const sync = runVectors(api, fixtures);
    const viaWebCrypto = await runTokenVectorsAsync(api, fixtures);
    const total = sync.total + viaWebCrypto.total;
    const failures = [...sync.failures, ...viaWebCrypto.failures];
    console.log(`workerd: ${total} vector cases (${viaWebCrypto.total} through WebCrypto), ${failures.length} failures`);
    if (failures.length > 0) throw new Error(`vector failures: ${JSON.stringify(failures.slice(0, 5))}`);
    if (total < MIN_CASES) throw new Error(`only ${total} cases ran`);
  },
};
