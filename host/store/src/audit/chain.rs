//! The links of the audit chain, and the keys that make them unforgeable.
//!
//! Each row carries a link: a MAC over the previous row's link and every field of
//! its own, each length-prefixed, so no two different rows link alike. With an audit
//! key (a keyring key of kind `audit`), the link is HMAC-SHA256 under that key and the
//! row names the key (`chain_kid`): whoever can write the database but does not hold
//! the key cannot rewrite the chain consistently, not even all of it. Without one
//! (stores opened with no audit key, and rows written before schema v6) the link is
//! plain SHA-256, which finds modified, deleted, inserted and reordered rows but not
//! a chain recomputed from its first row.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The link before a tenant's first row.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

/// One key that MACs audit rows.
pub struct AuditKey {
    kid: String,
    secret: Zeroizing<[u8; 32]>,
}

impl AuditKey {
    /// A key named `kid` with its 32 secret bytes.
    pub fn new(kid: &str, secret: [u8; 32]) -> Self {
        Self { kid: kid.to_owned(), secret: Zeroizing::new(secret) }
    }

    /// Its id, stored with every row it MACs.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The audit keys a store knows: the current one MACs new rows, every one (retired
/// keys included) verifies the rows it MACed.
#[derive(Debug, Default)]
pub struct AuditKeys {
    current: Option<AuditKey>,
    older: Vec<AuditKey>,
}

impl AuditKeys {
    /// `current` MACs new rows; `older` only verify.
    pub fn new(current: AuditKey, older: Vec<AuditKey>) -> Self {
        Self { current: Some(current), older }
    }

    /// Whether the chain is keyed: then every row must carry a MAC under a known key.
    pub(crate) fn keyed(&self) -> bool {
        self.current.is_some()
    }

    /// The key new rows are MACed with.
    pub(crate) fn current(&self) -> Option<&AuditKey> {
        self.current.as_ref()
    }

    /// The key named `kid`.
    pub(crate) fn find(&self, kid: &str) -> Option<&AuditKey> {
        self.current.iter().chain(&self.older).find(|key| key.kid == kid)
    }
}

/// The linked form of an entry: details as the exact JSON text stored.
pub(crate) struct EntryText<'a> {
    pub(crate) action: &'a str,
    pub(crate) entity_type: &'a str,
    pub(crate) entity: &'a str,
    pub(crate) success: bool,
    pub(crate) details: &'a str,
}

/// Where a row sits in its tenant's chain and when and by whom it was written.
#[derive(Clone, Copy)]
pub(crate) struct Position<'a> {
    pub(crate) tenant: i64,
    pub(crate) seq: i64,
    pub(crate) time: i64,
    pub(crate) actor: Option<&'a str>,
}

/// The link of one row after `prev`: keyed with `key`, or plain SHA-256 without.
pub(crate) fn link(key: Option<&AuditKey>, prev: &[u8], at: Position<'_>, entry: &EntryText<'_>) -> [u8; 32] {
    match key {
        None => {
            let mut hash = Sha256::new_with_prefix(b"tessera audit v1\0");
            feed(&mut |bytes| hash.update(bytes), prev, at, entry);
            hash.finalize().into()
        }
        Some(key) => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.secret.as_ref())
                .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
            mac.update(b"tessera audit v2\0");
            // The key's id is MACed too, so a row cannot be moved under another key.
            mac.update(&(key.kid.len() as u64).to_be_bytes());
            mac.update(key.kid.as_bytes());
            feed(&mut |bytes| mac.update(bytes), prev, at, entry);
            mac.finalize().into_bytes().into()
        }
    }
}

/// Feeds the previous link (32 bytes, or the genesis), the position and every field
/// of the entry, framed.
fn feed(out: &mut dyn FnMut(&[u8]), prev: &[u8], at: Position<'_>, entry: &EntryText<'_>) {
    out(prev);
    out(&at.tenant.to_be_bytes());
    out(&at.seq.to_be_bytes());
    out(&at.time.to_be_bytes());
    let mut field = |bytes: Option<&[u8]>| match bytes {
        None => out(&[0]),
        Some(bytes) => {
            out(&[1]);
            out(&(bytes.len() as u64).to_be_bytes());
            out(bytes);
        }
    };
    field(at.actor.map(str::as_bytes));
    field(Some(entry.action.as_bytes()));
    field(Some(entry.entity_type.as_bytes()));
    field(Some(entry.entity.as_bytes()));
    field(Some(if entry.success { b"1" } else { b"0" }));
    field(Some(entry.details.as_bytes()));
}
