//! The one seam between records and IndexedDB: every value the store writes goes through
//! [`seal`] and every value it reads through [`open`]. Today a record is stored as its JSON text;
//! encrypting each record on the device replaces these two functions and nothing else.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Why a stored value could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored data: {0}")]
pub struct CodecError(pub String);

/// Turns a value into what the store keeps.
pub async fn seal<T: Serialize>(value: &T) -> Result<JsValue, CodecError> {
    serde_json::to_string(value)
        .map(|text| JsValue::from_str(&text))
        .map_err(|e| CodecError(e.to_string()))
}

/// Reads back a value the store kept.
pub async fn open<T: DeserializeOwned>(stored: JsValue) -> Result<T, CodecError> {
    let text = stored
        .as_string()
        .ok_or_else(|| CodecError("not a sealed value".into()))?;
    serde_json::from_str(&text).map_err(|e| CodecError(e.to_string()))
}
