//! The device's keyring: the data key wrapped under the owner's passphrase, with the end of the
//! offline grant bound to it. It holds no personal data (the owner is an opaque id) and is the
//! only thing the store keeps unencrypted.

use super::crypto::{
    self, passphrase_key, random_bytes, CryptoError, NONCE_BYTES, PBKDF2_ITERATIONS, SALT_BYTES,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use web_sys::CryptoKey;

/// The keyring format written now: 2 says every record is sealed bound to its place, so that
/// nothing else opens. Keyrings without the field are format 1 (records not yet bound).
pub const KEYRING_FORMAT: u8 = 2;

fn format_one() -> u8 {
    1
}

/// What unlocks the device's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyring {
    /// The format; bound into the wrapping, so that it cannot be turned back to accept
    /// legacy records.
    #[serde(default = "format_one")]
    pub format: u8,
    /// The staff id whose passphrase wraps the key.
    pub owner: String,
    /// PBKDF2 salt.
    pub salt: Vec<u8>,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// The nonce of the wrapping.
    pub nonce: Vec<u8>,
    /// The data key, wrapped with AES-GCM.
    pub wrapped: Vec<u8>,
    /// Until when the passphrase unlocks the device without an online sign-in. Bound into the
    /// wrapping, so that changing it breaks the keyring rather than extending the grant.
    pub grant_ends: DateTime<Utc>,
}

impl Keyring {
    /// What the wrapping authenticates beside the key.
    fn bound(format: u8, owner: &str, iterations: u32, grant_ends: DateTime<Utc>) -> Vec<u8> {
        format!(
            "dekapan-keyring-v{format}|{owner}|{iterations}|{}",
            grant_ends.to_rfc3339()
        )
        .into_bytes()
    }

    /// Whether the device's records may still include legacy ones (plain, or sealed without
    /// their place) that need sealing again.
    pub fn holds_legacy_records(&self) -> bool {
        self.format < KEYRING_FORMAT
    }

    /// A new keyring around a new random data key; returns the key for use.
    pub async fn create(
        owner: &str,
        passphrase: &str,
        grant_ends: DateTime<Utc>,
    ) -> Result<(Keyring, CryptoKey), CryptoError> {
        Self::create_in(KEYRING_FORMAT, owner, passphrase, grant_ends).await
    }

    /// A new keyring of the first format, for a device whose records are still plain (from
    /// before encryption): they are sealed under it, and it is brought up to date with them
    /// ([`super::store::Store::current_keyring`]).
    pub async fn create_legacy(
        owner: &str,
        passphrase: &str,
        grant_ends: DateTime<Utc>,
    ) -> Result<(Keyring, CryptoKey), CryptoError> {
        Self::create_in(1, owner, passphrase, grant_ends).await
    }

    async fn create_in(
        format: u8,
        owner: &str,
        passphrase: &str,
        grant_ends: DateTime<Utc>,
    ) -> Result<(Keyring, CryptoKey), CryptoError> {
        let salt = random_bytes(SALT_BYTES)?;
        let nonce = random_bytes(NONCE_BYTES)?;
        let kek = passphrase_key(passphrase, &salt, PBKDF2_ITERATIONS).await?;
        let bound = Self::bound(format, owner, PBKDF2_ITERATIONS, grant_ends);
        let (wrapped, key) = crypto::new_data_key(&kek, &nonce, &bound).await?;
        let keyring = Keyring {
            format,
            owner: owner.to_owned(),
            salt,
            iterations: PBKDF2_ITERATIONS,
            nonce,
            wrapped,
            grant_ends,
        };
        Ok((keyring, key))
    }

    /// The data key, for use (never extractable); a wrong passphrase or a changed keyring
    /// fails with [`CryptoError::CannotOpen`].
    pub async fn open(&self, passphrase: &str) -> Result<CryptoKey, CryptoError> {
        self.unwrap(passphrase, false).await
    }

    async fn unwrap(&self, passphrase: &str, extractable: bool) -> Result<CryptoKey, CryptoError> {
        let kek = passphrase_key(passphrase, &self.salt, self.iterations).await?;
        let bound = Self::bound(self.format, &self.owner, self.iterations, self.grant_ends);
        crypto::unwrap(&self.wrapped, &kek, &self.nonce, &bound, extractable).await
    }

    /// The same data key under a new grant (after an online sign-in), with the key for use.
    /// The renewed keyring is of the current format: renew only once legacy records are
    /// sealed again.
    pub async fn renew(
        &self,
        passphrase: &str,
        grant_ends: DateTime<Utc>,
    ) -> Result<(Keyring, CryptoKey), CryptoError> {
        self.rewrap(passphrase, passphrase, grant_ends).await
    }

    /// The same data key opened with `opened_with` and wrapped under `passphrase` with the grant
    /// `grant_ends` (a renewal, or a change of passphrase), with the key for use. What the key
    /// sealed stays readable: only its wrapping changes.
    pub async fn rewrap(
        &self,
        opened_with: &str,
        passphrase: &str,
        grant_ends: DateTime<Utc>,
    ) -> Result<(Keyring, CryptoKey), CryptoError> {
        let key = self.unwrap(opened_with, true).await?;
        let salt = random_bytes(SALT_BYTES)?;
        let nonce = random_bytes(NONCE_BYTES)?;
        let kek = passphrase_key(passphrase, &salt, PBKDF2_ITERATIONS).await?;
        let bound = Self::bound(KEYRING_FORMAT, &self.owner, PBKDF2_ITERATIONS, grant_ends);
        let wrapped = crypto::wrap(&key, &kek, &nonce, &bound).await?;
        let renewed = Keyring {
            format: KEYRING_FORMAT,
            owner: self.owner.clone(),
            salt,
            iterations: PBKDF2_ITERATIONS,
            nonce,
            wrapped,
            grant_ends,
        };
        // The key for use, non-extractable, from the wrapping just made (no third derivation).
        let key = crypto::unwrap(&renewed.wrapped, &kek, &renewed.nonce, &bound, false).await?;
        Ok((renewed, key))
    }
}
