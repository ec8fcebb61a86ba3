//! The one seam between records and IndexedDB: every value the store writes goes through
//! [`seal`] and every value it reads through [`open`]. A sealed value is the record's JSON
//! encrypted with AES-GCM under the device's data key, held in memory only while the device is
//! unlocked ([`use_key`]); locked, nothing can be read or written.

use super::crypto::{decrypt, encrypt};
use js_sys::Uint8Array;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::CryptoKey;

/// Bound to every sealed record, so that nothing sealed for another purpose opens as one.
const RECORD_AAD: &[u8] = b"dekapan-record-v1";

/// What a read or write on a locked device fails with.
pub const LOCKED: &str = "the device is locked";

/// Why a stored value could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored data: {0}")]
pub struct CodecError(pub String);

impl CodecError {
    /// Whether the failure is only that the device is locked.
    pub fn is_locked(&self) -> bool {
        self.0 == LOCKED
    }
}

thread_local! {
    static KEY: RefCell<Option<CryptoKey>> = const { RefCell::new(None) };
}

/// Sets the data key (unlocking) or forgets it (locking).
pub fn use_key(key: Option<CryptoKey>) {
    KEY.with(|k| *k.borrow_mut() = key);
}

/// Whether a data key is held.
pub fn unlocked() -> bool {
    KEY.with(|k| k.borrow().is_some())
}

fn key() -> Result<CryptoKey, CodecError> {
    KEY.with(|k| k.borrow().clone())
        .ok_or_else(|| CodecError(LOCKED.into()))
}

/// Turns a value into what the store keeps: ciphertext.
pub async fn seal<T: Serialize>(value: &T) -> Result<JsValue, CodecError> {
    let key = key()?;
    let plain = serde_json::to_vec(value).map_err(|e| CodecError(e.to_string()))?;
    let sealed = encrypt(&key, &plain, RECORD_AAD)
        .await
        .map_err(|e| CodecError(e.to_string()))?;
    Ok(Uint8Array::from(sealed.as_slice()).into())
}

/// Reads back a value the store kept. A plain JSON string, as written before records were
/// encrypted, is still read, so an upgraded device loses nothing; [`is_sealed`] tells which to
/// seal again.
pub async fn open<T: DeserializeOwned>(stored: JsValue) -> Result<T, CodecError> {
    if let Some(text) = stored.as_string() {
        return serde_json::from_str(&text).map_err(|e| CodecError(e.to_string()));
    }
    let bytes = stored
        .dyn_into::<Uint8Array>()
        .map_err(|_| CodecError("not a sealed value".into()))?
        .to_vec();
    let plain = decrypt(&key()?, &bytes, RECORD_AAD)
        .await
        .map_err(|e| CodecError(e.to_string()))?;
    serde_json::from_slice(&plain).map_err(|e| CodecError(e.to_string()))
}

/// Whether a stored value is ciphertext (and not a plain value from before encryption).
pub fn is_sealed(stored: &JsValue) -> bool {
    stored.is_instance_of::<Uint8Array>()
}
