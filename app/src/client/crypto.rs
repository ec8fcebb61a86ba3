//! WebCrypto for the device store: a random AES-GCM data key encrypts every record; the data
//! key is kept only wrapped, under a key derived from the user's passphrase (PBKDF2-SHA-256),
//! and held in memory as a non-extractable `CryptoKey` while the device is unlocked.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// PBKDF2 iterations for new keyrings (OWASP's figure for PBKDF2-HMAC-SHA-256).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// Bytes of an AES-GCM nonce.
pub const NONCE_BYTES: usize = 12;
/// Bytes of a PBKDF2 salt.
pub const SALT_BYTES: usize = 16;

/// Why a cryptographic step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Decryption failed: a wrong passphrase, or data that was changed.
    #[error("the data cannot be opened with this key")]
    CannotOpen,
    /// The browser has no WebCrypto, or refused a call.
    #[error("WebCrypto: {0}")]
    Unavailable(String),
}

fn unavailable(e: JsValue) -> CryptoError {
    CryptoError::Unavailable(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

fn subtle() -> Result<SubtleCrypto, CryptoError> {
    let window = web_sys::window().ok_or_else(|| CryptoError::Unavailable("no window".into()))?;
    Ok(window.crypto().map_err(unavailable)?.subtle())
}

/// `n` random bytes from the browser's CSPRNG.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let window = web_sys::window().ok_or_else(|| CryptoError::Unavailable("no window".into()))?;
    let mut bytes = vec![0u8; n];
    window
        .crypto()
        .map_err(unavailable)?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(unavailable)?;
    Ok(bytes)
}

/// A plain JavaScript object from pairs.
fn object(pairs: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}

fn usages(list: &[&str]) -> JsValue {
    list.iter()
        .map(|u| JsValue::from_str(u))
        .collect::<Array>()
        .into()
}

fn aes_gcm(nonce: &[u8], aad: &[u8]) -> Object {
    object(&[
        ("name", "AES-GCM".into()),
        ("iv", Uint8Array::from(nonce).into()),
        ("additionalData", Uint8Array::from(aad).into()),
    ])
}

fn aes_256() -> Object {
    object(&[("name", "AES-GCM".into()), ("length", 256.into())])
}

async fn resolve(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}

/// The key-encryption key derived from a passphrase: usable only to wrap and unwrap the data
/// key, and never extractable.
pub async fn passphrase_key(
    passphrase: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<CryptoKey, CryptoError> {
    let subtle = subtle()?;
    let material: CryptoKey = resolve(subtle.import_key_with_object(
        "raw",
        &Uint8Array::from(passphrase.as_bytes()),
        &object(&[("name", "PBKDF2".into())]),
        false,
        &usages(&["deriveKey"]),
    ))
    .await
    .map_err(unavailable)?
    .unchecked_into();
    let derived = resolve(subtle.derive_key_with_object_and_object(
        &object(&[
            ("name", "PBKDF2".into()),
            ("hash", "SHA-256".into()),
            ("salt", Uint8Array::from(salt).into()),
            ("iterations", iterations.into()),
        ]),
        &material,
        &aes_256(),
        false,
        &usages(&["wrapKey", "unwrapKey"]),
    ))
    .await
    .map_err(unavailable)?;
    Ok(derived.unchecked_into())
}

/// A new random data key, wrapped under `kek` with `aad` bound to it, and the same key as a
/// non-extractable key for use.
pub async fn new_data_key(
    kek: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
) -> Result<(Vec<u8>, CryptoKey), CryptoError> {
    let subtle = subtle()?;
    let fresh: CryptoKey = resolve(subtle.generate_key_with_object(
        &aes_256(),
        true,
        &usages(&["encrypt", "decrypt"]),
    ))
    .await
    .map_err(unavailable)?
    .unchecked_into();
    let wrapped = wrap(&fresh, kek, nonce, aad).await?;
    let key = unwrap(&wrapped, kek, nonce, aad, false).await?;
    Ok((wrapped, key))
}

/// Wraps an extractable data key.
pub async fn wrap(
    key: &CryptoKey,
    kek: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let wrapped = resolve(subtle()?.wrap_key_with_object("raw", key, kek, &aes_gcm(nonce, aad)))
        .await
        .map_err(unavailable)?;
    Ok(Uint8Array::new(&wrapped).to_vec())
}

/// Unwraps a data key; fails with [`CryptoError::CannotOpen`] for a wrong passphrase or
/// changed data (AES-GCM authenticates the wrapped key and `aad`).
pub async fn unwrap(
    wrapped: &[u8],
    kek: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
    extractable: bool,
) -> Result<CryptoKey, CryptoError> {
    let key = resolve(subtle()?.unwrap_key_with_u8_array_and_object_and_object(
        "raw",
        wrapped,
        kek,
        &aes_gcm(nonce, aad),
        &object(&[("name", "AES-GCM".into())]),
        extractable,
        &usages(&["encrypt", "decrypt"]),
    ))
    .await
    .map_err(|_| CryptoError::CannotOpen)?;
    Ok(key.unchecked_into())
}

/// Encrypts `plain` under `key`: a fresh random nonce followed by the ciphertext and its tag.
pub async fn encrypt(key: &CryptoKey, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce = random_bytes(NONCE_BYTES)?;
    let sealed =
        resolve(subtle()?.encrypt_with_object_and_u8_array(&aes_gcm(&nonce, aad), key, plain))
            .await
            .map_err(unavailable)?;
    let mut out = nonce;
    out.extend(Uint8Array::new(&sealed).to_vec());
    Ok(out)
}

/// Decrypts what [`encrypt`] made; any change to it, or another key, fails.
pub async fn decrypt(key: &CryptoKey, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_BYTES {
        return Err(CryptoError::CannotOpen);
    }
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    let plain =
        resolve(subtle()?.decrypt_with_object_and_u8_array(&aes_gcm(nonce, aad), key, body))
            .await
            .map_err(|_| CryptoError::CannotOpen)?;
    Ok(Uint8Array::new(&plain).to_vec())
}
