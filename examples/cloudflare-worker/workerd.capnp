# workerd's own config for the example (wrangler makes the same from wrangler.toml).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "tessera.wasm", wasm = embed "dist/tessera.wasm"),
    (name = "tessera-public-keys.wasm", wasm = embed "dist/tessera-public-keys.wasm"),
    (name = "demo.snapshot", data = embed "dist/demo.snapshot"),
  ],
  bindings = [(name = "DEMO_JWT_SECRET", text = "tessera demo secret, not for production use")],
  compatibilityDate = "2025-01-01",
);
