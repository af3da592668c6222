//! Noticing changes other processes made: a revision poll on every backend, and on
//! PostgreSQL a LISTEN/NOTIFY listener that marks a changed tenant at once.

use std::sync::Arc;
use std::time::Duration;

use fallible_iterator::FallibleIterator;
use tessera_store::{CHANGES_CHANNEL, Location};

use crate::app::App;

/// How often the revisions are compared with what is loaded: the bound on how late a
/// change made without NOTIFY (another process on SQLite, the CLI) is seen.
const POLL: Duration = Duration::from_millis(500);

/// Starts the revision poll and, on PostgreSQL, the NOTIFY listener.
pub(crate) fn start(app: &Arc<App>) {
    let poller = Arc::clone(app);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let app = Arc::clone(&poller);
            match tokio::task::spawn_blocking(move || app.tenants.poll()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(code = e.code(), error = %e, "revision poll failed"),
                Err(e) => tracing::warn!(error = %e, "revision poll panicked"),
            }
        }
    });
    if let Location::Postgres(url) = &app.settings.database {
        let url = url.clone();
        let weak = Arc::downgrade(app);
        let spawned = std::thread::Builder::new().name("tessera-listen".into()).spawn(move || {
            // Reconnects after a lost connection; the poll covers the gap.
            while weak.strong_count() > 0 {
                if let Err(e) = listen(&url, &weak) {
                    tracing::warn!(error = %e, "NOTIFY listener lost its connection; reconnecting");
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no NOTIFY listener; changes of other processes are polled");
        }
    }
}

fn listen(url: &str, app: &std::sync::Weak<App>) -> Result<(), r2d2_postgres::postgres::Error> {
    let mut client = r2d2_postgres::postgres::Client::connect(url, r2d2_postgres::postgres::NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))?;
    tracing::info!(channel = CHANGES_CHANNEL, "listening for changes of other processes");
    let mut notifications = client.notifications();
    loop {
        // A timeout now and then, to notice that the server has stopped.
        match notifications.timeout_iter(Duration::from_secs(5)).next()? {
            Some(note) => match app.upgrade() {
                Some(app) => app.tenants.mark_digest(note.payload()),
                None => return Ok(()),
            },
            None if app.strong_count() == 0 => return Ok(()),
            None => {}
        }
    }
}
