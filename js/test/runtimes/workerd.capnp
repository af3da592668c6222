# One worker built the way wrangler builds one: the code bundled into worker.js, the
# `.wasm` it imports declared as a compiled wasm module of the same name.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "tessera.wasm", wasm = embed "tessera.wasm"),
    (name = "tessera-public-keys.wasm", wasm = embed "tessera-public-keys.wasm"),
  ],
  compatibilityDate = "2025-01-01",
);
