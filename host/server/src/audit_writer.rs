//! The audit writer: the guest's audit events, appended to the store in batches by
//! one thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use tessera_runtime::{AuditEvent, AuditSink, ServiceError};
use tessera_store::{Entry, Store, TenantId};

/// The guest's audit events (decisions, security events), appended to the store by
/// one thread in batches: one transaction for whatever is waiting (group commit).
///
/// Queued (the default), the guest goes on as soon as its event is queued, so a
/// denied check does not wait for a durable write; past [`QUEUE`] waiting events new
/// ones are dropped and counted (`tessera_audit_dropped_total`), rather than growing
/// without end or stalling the request threads. Durable (`AUTH_AUDIT_DURABLE`), the
/// guest waits until the batch holding its event commits, and fails the call
/// (`ERR_AUDIT_UNAVAILABLE`) when it does not: no decision is answered without its
/// record, and none is dropped (a full queue makes callers wait).
pub(crate) struct AuditQueue {
    sender: SyncSender<Queued>,
    dropped: Arc<AtomicU64>,
    directory: Directory,
    durable: bool,
}

/// One event on its way to the store, with where to say whether it was written.
struct Queued {
    tenant: Option<TenantId>,
    event: AuditEvent,
    written: Option<SyncSender<Result<(), String>>>,
}

/// Each loaded client key's tenant id, filled as tenants load. An event is filed by
/// the id its key had when it was queued: a client-key rotation between queueing and
/// writing must neither lose it nor file it under whatever the old key names next.
#[derive(Clone, Default)]
pub(crate) struct Directory(Arc<std::sync::RwLock<std::collections::HashMap<String, TenantId>>>);

impl Directory {
    pub(crate) fn insert(&self, key: &str, id: TenantId) {
        self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.to_owned(), id);
    }

    fn get(&self, key: &str) -> Option<TenantId> {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).copied()
    }
}

/// Events waiting at most.
const QUEUE: usize = 65_536;
/// Events written per transaction at most.
const BATCH: usize = 512;

impl AuditQueue {
    pub(crate) fn start(
        store: Arc<Store>,
        dropped: Arc<AtomicU64>,
        directory: Directory,
        durable: bool,
    ) -> Self {
        let (sender, receiver) = sync_channel(QUEUE);
        let spawned =
            std::thread::Builder::new().name("tessera-audit".into()).spawn(move || drain(&store, &receiver));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "no audit writer thread; decision events will be dropped");
        }
        Self { sender, dropped, directory, durable }
    }

    /// Queues the event and waits until it is written.
    fn append_durably(&self, tenant: Option<TenantId>, event: AuditEvent) -> Result<(), ServiceError> {
        let stopped = || ServiceError("the audit writer has stopped".into());
        let (written, outcome) = sync_channel(1);
        // The caller is a guest call on a runtime thread: let the runtime move its
        // other tasks elsewhere while this one waits for the commit.
        tokio::task::block_in_place(|| {
            self.sender.send(Queued { tenant, event, written: Some(written) }).map_err(|_| stopped())?;
            outcome.recv().map_err(|_| stopped())?.map_err(ServiceError)
        })
    }
}

fn drain(store: &Store, receiver: &Receiver<Queued>) {
    while let Ok(first) = receiver.recv() {
        let mut entries = Vec::with_capacity(BATCH);
        let mut waiting = Vec::with_capacity(BATCH);
        for Queued { tenant, event, written } in
            std::iter::once(first).chain(receiver.try_iter().take(BATCH - 1))
        {
            let (key, actor, entry) = Entry::from_guest(event);
            // A key no tenant was loaded under (an embedder's own authorizer): its id now.
            let tenant = match tenant.map_or_else(|| store.tenant_id(&key), Ok) {
                Ok(tenant) => tenant,
                Err(error) => {
                    tracing::error!(code = error.code(), error = %error, "audit event not written");
                    if let Some(written) = written {
                        let _ = written.send(Err(error.to_string()));
                    }
                    continue;
                }
            };
            entries.push((tenant, actor, entry));
            waiting.push(written);
        }
        let outcomes: Vec<Result<(), String>> = match store.record_all(&entries) {
            Ok(()) => vec![Ok(()); entries.len()],
            // One bad event (its tenant just rotated away, say) must not take the
            // batch with it: write them one by one.
            Err(_) => entries
                .chunks(1)
                .map(|one| {
                    store.record_all(one).map_err(|e| {
                        tracing::error!(code = e.code(), error = %e, "audit event not written");
                        e.to_string()
                    })
                })
                .collect(),
        };
        for (written, outcome) in waiting.into_iter().zip(outcomes) {
            if let Some(written) = written {
                // The caller may have gone (its request dropped): nobody to tell.
                let _ = written.send(outcome);
            }
        }
    }
}

impl AuditSink for AuditQueue {
    fn append(&self, event: AuditEvent) -> Result<(), ServiceError> {
        let tenant = self.directory.get(&event.tenant);
        if self.durable {
            return self.append_durably(tenant, event);
        }
        match self.sender.try_send(Queued { tenant, event, written: None }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                if self.dropped.fetch_add(1, Ordering::Relaxed).is_multiple_of(10_000) {
                    tracing::warn!("the audit queue is full: decision events are being dropped");
                }
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => Err(ServiceError("the audit writer has stopped".into())),
        }
    }
}
