//! The exports called as a careless or hostile host would call them: any lengths,
//! codes and clock values, over whatever the input buffer holds. Only the guest-ABI
//! fuzz driver ([`crate::abi_fuzz`]) uses it.
//!
//! Each success is read back as that export's answer with the decoders the typed
//! calls use, so "the guest answered" means "the guest answered something this host
//! can read".

use tessera_abi::wire::QueryKind;

use super::{Deadline, Guest, answers, decision, json, list, text, yes_no};
use crate::GuestError;
use crate::types::{Authorization, Finding, LoadedInfo};

/// One export call with raw arguments (lengths count bytes of the input buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    Configure(u32),
    Load(u32),
    LoadBytes(u32, u32),
    CompilePolicy(u32),
    Info,
    Check(u32, u32),
    CheckMany(u32, u32),
    Query(u32, u32, u32),
    VerifyToken(u32, i64),
    Authorize(u32, u32, i64),
    Sanitize(u32, u32, i64),
    Inspect(u32),
    ValidateIdentifier(u32, u32),
}

impl Guest {
    /// `tessera_input(len)`: the guest's input buffer becomes at least `len` bytes long.
    pub(crate) fn raw_input(&mut self, len: u32) -> Result<(), GuestError> {
        self.input(len)
    }

    /// Writes `bytes` at the start of the input buffer, growing it as the typed
    /// calls do.
    pub(crate) fn raw_put(&mut self, bytes: &[u8]) -> Result<(), GuestError> {
        self.put(&[bytes])
    }

    /// Calls one export and reads its answer.
    pub(crate) fn raw_call(&mut self, call: Call) -> Result<(), GuestError> {
        use Deadline::{Call as Short, Load};
        match call {
            Call::Configure(len) => self.call(|e| &e.configure, len, Short).map(drop),
            Call::Load(len) => json::<LoadedInfo>(self.call(|e| &e.load, len, Load)?).map(drop),
            Call::LoadBytes(len, record) => {
                json::<LoadedInfo>(self.call(|e| &e.load_bytes, (len, record), Load)?).map(drop)
            }
            Call::CompilePolicy(len) => {
                json::<LoadedInfo>(self.call(|e| &e.compile_policy, len, Load)?).map(drop)
            }
            Call::Info => json::<LoadedInfo>(self.call(|e| &e.info, (), Short)?).map(drop),
            Call::Check(user, permission) => {
                decision(self.call(|e| &e.check, (user, permission), Short)?).map(drop)
            }
            Call::CheckMany(user, list) => {
                answers(self.call(|e| &e.check_many, (user, list), Short)?).map(drop)
            }
            Call::Query(kind, a, b) => {
                let output = self.call(|e| &e.query, (kind, a, b), Short)?;
                match QueryKind::from_code(kind) {
                    Some(QueryKind::HasRole | QueryKind::StrictBlocks) => yes_no(output).map(drop),
                    Some(_) => list(output).map(drop),
                    None => Err(GuestError::abi("an unknown query kind was answered")),
                }
            }
            Call::VerifyToken(token, now) => json::<serde_json::Map<String, serde_json::Value>>(self.call(
                |e| &e.verify_token,
                (token, now),
                Short,
            )?)
            .map(drop),
            Call::Authorize(token, permission, now) => {
                json::<Authorization>(self.call(|e| &e.authorize, (token, permission, now), Short)?).map(drop)
            }
            Call::Sanitize(mode, len, max_len) => {
                text(self.call(|e| &e.sanitize, (mode, len, max_len), Short)?).map(drop)
            }
            Call::Inspect(len) => json::<Vec<Finding>>(self.call(|e| &e.inspect, len, Short)?).map(drop),
            Call::ValidateIdentifier(kind, value) => {
                self.call(|e| &e.validate_identifier, (kind, value), Short).map(drop)
            }
        }
    }
}
