//! A `tessera serve` child process on a free loopback port, and an HTTP client for it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;

use tessera_testkit::db::TestDb;

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// Everything the server wrote to standard error.
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    pub base: String,
    pub dir: tempfile::TempDir,
    agent: ureq::Agent,
}

/// One answer: status, headers and the body as JSON (`Null` when it is not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Server {
    /// The keys the server's store is opened with (its keyring's audit keys): for a
    /// test that opens the same database.
    pub fn store_keys(&self) -> tessera_store::FieldKeys {
        let keyring = tessera_store::keyring::Keyring::load(&self.dir.path().join("keyring.json")).unwrap();
        tessera_store::FieldKeys::plain().with_audit_keys(keyring.audit_keys().unwrap().unwrap())
    }

    /// Starts on `db` with extra environment variables.
    pub fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        Self::start_in(db, tempfile::tempdir().unwrap(), env)
    }

    /// Starts with `dir` as its data directory (so two servers can share a keyring).
    pub fn start_in(db: &TestDb, dir: tempfile::TempDir, env: &[(&str, &str)]) -> Self {
        Self::launch(db, dir, env, &[], None)
    }

    /// Starts serving HTTPS with a certificate for `localhost` made here, and a
    /// client that trusts only that certificate.
    pub fn start_tls(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        let args = [
            "--tls-cert".to_owned(),
            cert.display().to_string(),
            "--tls-key".to_owned(),
            key.display().to_string(),
        ];
        let der = certified.cert.der().to_vec();
        Self::launch(db, dir, env, &args, Some(der))
    }

    fn launch(
        db: &TestDb,
        dir: tempfile::TempDir,
        env: &[(&str, &str)],
        args: &[String],
        trusted: Option<Vec<u8>>,
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "text"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("AUTH_DATA_DIR", dir.path())
            .env("AUTH_DATABASE_URL", db.url())
            .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-cache"))
            .env("RUST_LOG", "warn")
            // Most suites exercise roles, not strict identity: new tenants are not strict
            // unless a test asks (`strict_users_by_default_and_decided_from_the_snapshot`).
            .env("AUTH_STRICT_USERS_DEFAULT", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("tessera serve starts");
        let stderr = child.stderr.take().unwrap();
        let (found, address) = mpsc::channel();
        let log = Arc::new(Mutex::new(String::new()));
        let kept = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(address) = line.strip_prefix("tessera serve: listening on ") {
                    let _ = found.send(address.to_owned());
                } else {
                    eprintln!("[serve] {line}");
                }
            }
        });
        let base = address.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("tessera serve did not start within 60 s")
        });
        let mut config = ureq::Agent::config_builder().http_status_as_error(false);
        let mut base = base;
        if let Some(der) = trusted {
            use ureq::tls::{Certificate, RootCerts, TlsConfig};
            let roots =
                RootCerts::Specific(std::sync::Arc::new(vec![Certificate::from_der(&der).to_owned()]));
            let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
            config = config.tls_config(
                TlsConfig::builder().root_certs(roots).unversioned_rustls_crypto_provider(provider).build(),
            );
            base = base.replace("127.0.0.1", "localhost");
        }
        Self { child, log, reader: Some(reader), base, dir, agent: config.build().into() }
    }

    /// A request with `key` as the bearer client key (`None`: no header).
    pub fn call(&self, method: &str, path: &str, key: Option<&str>, body: Option<&Value>) -> Answer {
        self.request(
            method,
            path,
            &key.map(|k| ("Authorization", format!("Bearer {k}"))).into_iter().collect::<Vec<_>>(),
            body.map(|b| b.to_string().into_bytes()),
        )
    }

    /// A request with any headers and a raw body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            builder = builder.header(*name, value.as_str());
        }
        if body.is_some() {
            builder = builder.header("Content-Type", "application/json");
        }
        let request = builder.body(body.unwrap_or_default()).unwrap();
        let mut response = self.agent.run(request).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, headers, bytes, json }
    }

    pub fn get(&self, path: &str, key: &str) -> Answer {
        self.call("GET", path, Some(key), None)
    }

    pub fn post(&self, path: &str, key: &str) -> Answer {
        self.call("POST", path, Some(key), None)
    }

    pub fn delete(&self, path: &str, key: &str) -> Answer {
        self.call("DELETE", path, Some(key), None)
    }

    /// Stops the server with SIGTERM (graceful) and waits for it.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().unwrap()
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Stops the server as [`stop`](Self::stop) does and returns all it logged.
    pub fn stop_with_log(mut self) -> String {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
