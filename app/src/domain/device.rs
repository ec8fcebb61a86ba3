//! Rules for data held on a device: how long it stays unlocked without use, how long the
//! grant of an online sign-in lets the passphrase open it offline, and how soon a first sync
//! that failed is tried again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a device guards the data it holds; set on the server, received at each online sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePolicy {
    /// Minutes without a touch or key press after which the device locks.
    pub idle_lock_minutes: u32,
    /// Hours after an online sign-in during which the passphrase unlocks the device offline.
    pub offline_grant_hours: u32,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        Self {
            idle_lock_minutes: 5,
            offline_grant_hours: 72,
        }
    }
}

impl DevicePolicy {
    /// How long the device may stay unlocked without use.
    pub fn idle_lock(&self) -> Duration {
        Duration::from_secs(u64::from(self.idle_lock_minutes.max(1)) * 60)
    }

    /// When the grant of a sign-in at `signed_in_at` ends.
    pub fn grant_ends(&self, signed_in_at: DateTime<Utc>) -> DateTime<Utc> {
        signed_in_at + chrono::Duration::hours(i64::from(self.offline_grant_hours))
    }
}

/// Whether the device, last used at `last_use`, should lock at `now`.
pub fn idle_too_long(policy: &DevicePolicy, last_use: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    (now - last_use)
        .to_std()
        .is_ok_and(|idle| idle >= policy.idle_lock())
}

/// Whether a grant ending at `ends` still lets the passphrase unlock at `now`.
pub fn grant_open(ends: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < ends
}

/// How long a device that holds nothing yet waits before trying its first sync again, after
/// `failed` tries in a row failed: 2, 4, 8 and 16 seconds, then no sooner than the sync loop's
/// own turn. Someone signing in on a bad line sees their visits as soon as one try gets through.
pub fn first_sync_retry(failed: u32) -> Option<Duration> {
    (1..=4)
        .contains(&failed)
        .then(|| Duration::from_secs(1 << failed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, hour, minute, 0).unwrap()
    }

    #[test]
    fn the_device_locks_after_five_quiet_minutes_by_default() {
        let policy = DevicePolicy::default();
        assert!(!idle_too_long(&policy, at(9, 0), at(9, 4)));
        assert!(idle_too_long(&policy, at(9, 0), at(9, 5)));
        // A clock that went backwards is not idleness.
        assert!(!idle_too_long(&policy, at(9, 5), at(9, 0)));
        let quick = DevicePolicy {
            idle_lock_minutes: 0,
            ..policy
        };
        assert!(
            !idle_too_long(&quick, at(9, 0), at(9, 0)),
            "at least a minute"
        );
    }

    #[test]
    fn an_online_sign_in_lets_the_passphrase_work_offline_for_three_days() {
        let policy = DevicePolicy::default();
        let ends = policy.grant_ends(at(9, 0));
        assert!(grant_open(ends, at(9, 0) + chrono::Duration::hours(71)));
        assert!(!grant_open(ends, at(9, 0) + chrono::Duration::hours(72)));
    }

    #[test]
    fn a_failed_first_sync_is_tried_again_within_seconds_four_times() {
        let waits: Vec<_> = (1..=5).map(first_sync_retry).collect();
        assert_eq!(
            waits,
            [2, 4, 8, 16]
                .map(|s| Some(Duration::from_secs(s)))
                .into_iter()
                .chain([None])
                .collect::<Vec<_>>()
        );
        assert_eq!(first_sync_retry(0), None, "nothing failed yet");
    }
}
