//! Time-based one-time passwords (RFC 6238, HMAC-SHA-1, 30-second steps, 6 digits), the second
//! factor for staff, and the one-time recovery codes that stand in for a lost authenticator.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps either side of now that still count (clock drift on the phone).
const DRIFT_STEPS: i64 = 1;
/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;

/// The code for `step` (RFC 4226 dynamic truncation) with `digits` digits.
pub fn code_at(secret: &[u8], step: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let bits = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    bits % 10u32.pow(digits)
}

/// The step a Unix time falls in.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The step whose code `typed` is, within the drift allowed around `now_step` and after
/// `last_used` (a code is good once); none when it matches nothing.
pub fn matching_step(secret: &[u8], typed: &str, now_step: i64, last_used: i64) -> Option<i64> {
    let typed = typed.trim().replace(' ', "");
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = typed.parse().ok()?;
    (now_step - DRIFT_STEPS..=now_step + DRIFT_STEPS)
        .filter(|step| *step > last_used && *step >= 0)
        .find(|step| code_at(secret, *step as u64, DIGITS) == typed)
}

/// A new random secret (160 bits, as RFC 4226 recommends), in base32 for authenticator apps.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The secret's bytes from its base32 text.
pub fn secret_bytes(base32: &str) -> Option<Vec<u8>> {
    data_encoding::BASE32_NOPAD.decode(base32.as_bytes()).ok()
}

/// The `otpauth://` address an authenticator app takes (typed in, or as a QR code).
pub fn uri(issuer: &str, login: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/{issuer}:{login}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )
}

/// New recovery codes, as shown to the user once: ten groups of 4-4 base32 characters.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 5];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let text = data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase();
            format!("{}-{}", &text[..4], &text[4..])
        })
        .collect()
}

/// How a recovery code is stored: its SHA-256 (the codes are random, so no salt is needed),
/// over the code as typed without spaces or dashes, in lower case.
pub fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 test vectors (8 digits).
    #[test]
    fn the_rfc_6238_test_vectors_hold() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code_at(secret, step_of(time) as u64, 8), code, "T = {time}");
        }
    }

    #[test]
    fn a_code_counts_near_its_time_and_only_once() {
        let secret = secret_bytes(&new_secret()).unwrap();
        let now = step_of(1_800_000_000);
        let code = format!("{:06}", code_at(&secret, now as u64, DIGITS));
        assert_eq!(matching_step(&secret, &code, now, 0), Some(now));
        assert_eq!(
            matching_step(&secret, &code, now + 1, 0),
            Some(now),
            "a step late"
        );
        assert_eq!(matching_step(&secret, &code, now + 2, 0), None, "too late");
        assert_eq!(
            matching_step(&secret, &code, now, now),
            None,
            "used already"
        );
        assert_eq!(matching_step(&secret, "12345", now, 0), None);
        assert_eq!(matching_step(&secret, "abcdef", now, 0), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_match_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(
            recovery_hash(code),
            recovery_hash(&format!(" {} ", code.to_uppercase().replace('-', " ")))
        );
        assert_ne!(recovery_hash(code), recovery_hash(&codes[1]));
    }
}
