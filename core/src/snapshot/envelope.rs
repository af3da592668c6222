//! The signed envelope around a snapshot payload (see the module docs for the layout).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use serde::Serialize;

use super::codec;
use super::reader::{Reader, once, required};
use crate::error::SnapshotError;
use crate::keys::{EncryptionKey, SigningKey, VerifyingKey};

const ENVELOPE_VERSION: u32 = 1;
const SIGNATURE_CONTEXT: &[u8] = b"tessera-snapshot-v1\0";
const ALG_SIGN: &str = "EdDSA";
const ALG_ENCRYPT: &str = "A256GCM";

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(with = "serde_bytes")]
    header: &'a [u8],
    #[serde(with = "serde_bytes")]
    payload: &'a [u8],
    #[serde(with = "serde_bytes")]
    signature: &'a [u8],
}

impl<'a> Envelope<'a> {
    fn read(bytes: &'a [u8]) -> Result<Self, SnapshotError> {
        let mut reader = Reader::new(bytes);
        let (mut header, mut payload, mut signature) = (None, None, None);
        reader.fields("envelope", true, |r, name| match name {
            "header" => once(&mut header, r.bin("envelope.header")?, "envelope.header"),
            "payload" => once(&mut payload, r.bin("envelope.payload")?, "envelope.payload"),
            "signature" => once(&mut signature, r.bin("envelope.signature")?, "envelope.signature"),
            _ => Ok(false),
        })?;
        reader.finish("envelope")?;
        Ok(Self {
            header: required(header, "envelope.header")?,
            payload: required(payload, "envelope.payload")?,
            signature: required(signature, "envelope.signature")?,
        })
    }
}

/// Unknown fields are refused: a header says how to verify and decrypt, and a
/// field this reader would ignore could be one that changes that.
#[derive(Serialize)]
pub(super) struct Header {
    pub(super) v: u64,
    pub(super) alg: String,
    pub(super) kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) enc: Option<Encryption>,
}

#[derive(Serialize)]
pub(super) struct Encryption {
    pub(super) alg: String,
    pub(super) kid: String,
    #[serde(with = "serde_bytes")]
    pub(super) nonce: Vec<u8>,
}

impl Header {
    fn read(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let mut reader = Reader::new(bytes);
        let (mut v, mut alg, mut kid, mut enc) = (None, None, None, None);
        reader.fields("header", false, |r, name| match name {
            "v" => once(&mut v, r.int("header.v")?, "header.v"),
            "alg" => once(&mut alg, r.string("header.alg")?, "header.alg"),
            "kid" => once(&mut kid, r.string("header.kid")?, "header.kid"),
            "enc" => once(&mut enc, r.option(Encryption::read)?, "header.enc"),
            _ => Ok(false),
        })?;
        reader.finish("envelope header")?;
        Ok(Self {
            v: required(v, "header.v")?,
            alg: required(alg, "header.alg")?,
            kid: required(kid, "header.kid")?,
            enc: enc.flatten(),
        })
    }
}

impl Encryption {
    fn read(reader: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        let (mut alg, mut kid, mut nonce) = (None, None, None);
        reader.fields("header.enc", false, |r, name| match name {
            "alg" => once(&mut alg, r.string("header.enc.alg")?, "header.enc.alg"),
            "kid" => once(&mut kid, r.string("header.enc.kid")?, "header.enc.kid"),
            "nonce" => once(&mut nonce, r.bin("header.enc.nonce")?.to_vec(), "header.enc.nonce"),
            _ => Ok(false),
        })?;
        Ok(Self {
            alg: required(alg, "header.enc.alg")?,
            kid: required(kid, "header.enc.kid")?,
            nonce: required(nonce, "header.enc.nonce")?,
        })
    }
}

fn signing_input(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(SIGNATURE_CONTEXT.len() + 4 + header.len() + payload.len());
    input.extend_from_slice(SIGNATURE_CONTEXT);
    // Headers are a few hundred bytes; the length prefix keeps header and payload apart.
    input.extend_from_slice(&u32::try_from(header.len()).unwrap_or(u32::MAX).to_be_bytes());
    input.extend_from_slice(header);
    input.extend_from_slice(payload);
    input
}

fn cipher(key: &EncryptionKey) -> Aes256Gcm {
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key.bytes()))
}

/// Encrypts (if asked) and signs a payload.
pub(super) fn seal(
    payload: &[u8],
    key: &SigningKey,
    encryption: Option<(&EncryptionKey, [u8; 12])>,
) -> Result<Vec<u8>, SnapshotError> {
    let header = Header {
        v: u64::from(ENVELOPE_VERSION),
        alg: ALG_SIGN.to_owned(),
        kid: key.kid().to_owned(),
        enc: encryption.map(|(k, nonce)| Encryption {
            alg: ALG_ENCRYPT.to_owned(),
            kid: k.kid().to_owned(),
            nonce: nonce.to_vec(),
        }),
    };
    let header = codec::encode(&header)?;
    let payload = match encryption {
        None => payload.to_vec(),
        Some((k, nonce)) => cipher(k)
            .encrypt(&Nonce::from(nonce), Payload { msg: payload, aad: &header })
            .map_err(|_| SnapshotError::Malformed { reason: "payload too large to encrypt".into() })?,
    };
    let signature = key.sign(&signing_input(&header, &payload));
    codec::encode(&Envelope { header: &header, payload: &payload, signature: &signature })
}

/// What an envelope says about itself, read without verifying anything.
pub(super) struct Opened<'a> {
    pub(super) header: Header,
    header_bytes: &'a [u8],
    payload: &'a [u8],
    signature: &'a [u8],
}

/// Splits an envelope and decodes its header; nothing is trusted yet.
pub(super) fn open(bytes: &[u8]) -> Result<Opened<'_>, SnapshotError> {
    let envelope = Envelope::read(bytes)?;
    let header = Header::read(envelope.header)?;
    if header.v != u64::from(ENVELOPE_VERSION) {
        return Err(SnapshotError::UnsupportedVersion { version: header.v });
    }
    if header.alg != ALG_SIGN {
        return Err(SnapshotError::Malformed { reason: "signature algorithm must be EdDSA".into() });
    }
    if header.enc.as_ref().is_some_and(|e| e.alg != ALG_ENCRYPT || e.nonce.len() != 12) {
        return Err(SnapshotError::Malformed {
            reason: "encryption must be A256GCM with a 12-byte nonce".into(),
        });
    }
    Ok(Opened {
        header,
        header_bytes: envelope.header,
        payload: envelope.payload,
        signature: envelope.signature,
    })
}

impl Opened<'_> {
    /// Verifies the signature, then decrypts if the payload is encrypted.
    pub(super) fn verify_and_decrypt(
        &self,
        trusted: &[VerifyingKey],
        decryption: &[EncryptionKey],
    ) -> Result<Vec<u8>, SnapshotError> {
        let kid = &self.header.kid;
        let key = trusted
            .iter()
            .find(|k| k.kid() == kid)
            .ok_or_else(|| SnapshotError::UnknownKeyId { kid: kid.clone() })?;
        if !key.verify(&signing_input(self.header_bytes, self.payload), self.signature) {
            return Err(SnapshotError::BadSignature);
        }
        let Some(enc) = &self.header.enc else {
            return Ok(self.payload.to_vec());
        };
        let key = decryption
            .iter()
            .find(|k| k.kid() == enc.kid)
            .ok_or_else(|| SnapshotError::UnknownDecryptionKey { kid: enc.kid.clone() })?;
        let nonce = Nonce::try_from(enc.nonce.as_slice())
            .map_err(|_| SnapshotError::Malformed { reason: "nonce must be 12 bytes".into() })?;
        cipher(key)
            .decrypt(&nonce, Payload { msg: self.payload, aad: self.header_bytes })
            .map_err(|_| SnapshotError::DecryptionFailed)
    }
}
