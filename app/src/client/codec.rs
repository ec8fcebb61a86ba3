//! The one seam between records and IndexedDB: every value the store writes goes through
//! [`seal`] and every value it reads through [`open`]. A sealed value is the record's JSON
//! encrypted with AES-GCM under the device's data key, held in memory only while the device is
//! unlocked ([`use_key`]); locked, nothing can be read or written. The record's place (object
//! store and key) is authenticated with it, so records cannot be swapped, copied or planted.

use super::crypto::{decrypt, encrypt};
use js_sys::Uint8Array;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::CryptoKey;

/// What records were sealed with before each was bound to its place: still opened while a
/// device migrates ([`accept_legacy`]), never written.
const LEGACY_AAD: &[u8] = b"dekapan-record-v1";

/// Where a record lives: its object store and key. Bound into the record's sealing, so that a
/// record copied or moved to another place (another note, another store) does not open there.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub store: &'a str,
    pub key: &'a JsValue,
}

impl Place<'_> {
    fn aad(&self) -> Vec<u8> {
        let key = match (self.key.as_string(), self.key.as_f64()) {
            (Some(text), _) => format!("s:{text}"),
            (None, Some(number)) => format!("n:{number}"),
            _ => format!("?:{:?}", self.key),
        };
        format!("dekapan-record-v2|{}|{key}", self.store).into_bytes()
    }
}

/// Why a stored value could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The device is locked: no data key to seal or open with.
    #[error("the device is locked")]
    Locked,
    /// A plain value where a sealed one belongs (and the device is not migrating).
    #[error("an unsealed value where a sealed one belongs")]
    Unsealed,
    /// Not bytes at all.
    #[error("not a sealed value")]
    NotSealed,
    /// The browser's cryptography failed, or the bytes do not open in this place.
    #[error("stored data: {0}")]
    Crypto(String),
    /// The value is not of the shape asked for.
    #[error("stored data: {0}")]
    Shape(String),
}

thread_local! {
    static KEY: RefCell<Option<CryptoKey>> = const { RefCell::new(None) };
    static LEGACY: Cell<bool> = const { Cell::new(false) };
}

/// Sets the data key (unlocking) or forgets it (locking). Either way, only values sealed in
/// their place open from then on.
pub fn use_key(key: Option<CryptoKey>) {
    KEY.with(|k| *k.borrow_mut() = key);
    LEGACY.with(|l| l.set(false));
}

/// While a device from before records were bound to their places migrates: plain values and
/// values sealed without their place open too. Off again at the next [`use_key`].
pub fn accept_legacy(on: bool) {
    LEGACY.with(|l| l.set(on));
}

fn legacy() -> bool {
    LEGACY.with(Cell::get)
}

/// Whether a data key is held.
pub fn unlocked() -> bool {
    KEY.with(|k| k.borrow().is_some())
}

fn key() -> Result<CryptoKey, CodecError> {
    KEY.with(|k| k.borrow().clone()).ok_or(CodecError::Locked)
}

/// Turns a value into what the store keeps at `place`: ciphertext bound to that place.
pub async fn seal<T: Serialize>(value: &T, place: Place<'_>) -> Result<JsValue, CodecError> {
    let key = key()?;
    let plain = serde_json::to_vec(value).map_err(|e| CodecError::Shape(e.to_string()))?;
    let sealed = encrypt(&key, &plain, &place.aad())
        .await
        .map_err(|e| CodecError::Crypto(e.to_string()))?;
    Ok(Uint8Array::from(sealed.as_slice()).into())
}

/// Reads back a value the store kept at `place`. Anything else there — a plain value, a value
/// sealed for another place, changed bytes — fails, unless the device is migrating
/// ([`accept_legacy`]) and the value is one it wrote before places were bound.
pub async fn open<T: DeserializeOwned>(stored: JsValue, place: Place<'_>) -> Result<T, CodecError> {
    Ok(open_telling(stored, place).await?.0)
}

/// [`open`], also telling whether the value was a legacy one (to seal again in its place).
pub async fn open_telling<T: DeserializeOwned>(
    stored: JsValue,
    place: Place<'_>,
) -> Result<(T, bool), CodecError> {
    let parse =
        |bytes: &[u8]| serde_json::from_slice(bytes).map_err(|e| CodecError::Shape(e.to_string()));
    if let Some(text) = stored.as_string() {
        if !legacy() {
            return Err(CodecError::Unsealed);
        }
        return Ok((parse(text.as_bytes())?, true));
    }
    let bytes = stored
        .dyn_into::<Uint8Array>()
        .map_err(|_| CodecError::NotSealed)?
        .to_vec();
    let key = key()?;
    let refused = match decrypt(&key, &bytes, &place.aad()).await {
        Ok(plain) => return Ok((parse(&plain)?, false)),
        Err(e) => CodecError::Crypto(e.to_string()),
    };
    if !legacy() {
        return Err(refused);
    }
    let plain = decrypt(&key, &bytes, LEGACY_AAD)
        .await
        .map_err(|_| refused)?;
    Ok((parse(&plain)?, true))
}
