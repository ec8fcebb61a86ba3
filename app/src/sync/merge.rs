//! Merge rules. The server's sequence orders everything; device clocks never do.
//!
//! - A field is a register with a version (the server sequence of its last write). An edit
//!   carries the version its author saw. If nobody wrote the field since, the edit applies.
//!   If somebody did, the edits were concurrent: the later arrival wins (a rule every device
//!   computes the same way) and the value it replaces is kept in a conflict record, with both
//!   authors and times, until someone resolves it. Equal values are no conflict.
//! - Edits to different fields never touch each other: each field has its own version.
//! - Sets (team, agencies involved) are sets of members, each added or removed by its own op;
//!   ops on different members commute, so concurrent changes merge as sets.
//! - Notes are append-only: an amendment is a new revision, so nothing here applies to them.

use serde::{Deserialize, Serialize};

/// A field's current value and the server sequence that wrote it (0: never written by sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    /// The value.
    pub value: String,
    /// The sequence of the write that set it.
    pub version: u64,
}

/// What to do with an incoming field edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldDecision {
    /// Nobody wrote the field since the author saw it: write the new value.
    Apply,
    /// Concurrent, but both wrote the same value: write it (new version), no conflict.
    ApplySame,
    /// Concurrent with a different value: write the new value and keep `replaced` in a
    /// conflict record beside it.
    ApplyWithConflict {
        /// The value the edit replaces, which its author never saw.
        replaced: String,
    },
}

/// Decides an edit of a field from the field's current register and the version the edit's
/// author saw.
pub fn merge_field(current: &Register, base_version: u64, new_value: &str) -> FieldDecision {
    if base_version >= current.version {
        FieldDecision::Apply
    } else if current.value == new_value {
        FieldDecision::ApplySame
    } else {
        FieldDecision::ApplyWithConflict {
            replaced: current.value.clone(),
        }
    }
}

/// A change to a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp<T> {
    /// Adds a member (nothing happens if it is there).
    Add(T),
    /// Removes a member (nothing happens if it is not there).
    Remove(T),
}

impl<T: Ord + Clone> SetOp<T> {
    /// Applies the op to a set. Ops on different members commute.
    pub fn apply(&self, set: &mut std::collections::BTreeSet<T>) {
        match self {
            SetOp::Add(x) => {
                set.insert(x.clone());
            }
            SetOp::Remove(x) => {
                set.remove(x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn reg(value: &str, version: u64) -> Register {
        Register {
            value: value.into(),
            version,
        }
    }

    #[test]
    fn an_edit_based_on_the_current_version_applies() {
        assert_eq!(merge_field(&reg("low", 4), 4, "high"), FieldDecision::Apply);
        assert_eq!(merge_field(&reg("", 0), 0, "goal"), FieldDecision::Apply);
    }

    #[test]
    fn a_concurrent_edit_wins_and_keeps_the_value_it_replaces() {
        assert_eq!(
            merge_field(&reg("moderate", 7), 4, "high"),
            FieldDecision::ApplyWithConflict {
                replaced: "moderate".into()
            }
        );
    }

    #[test]
    fn concurrent_edits_to_the_same_value_are_no_conflict() {
        assert_eq!(
            merge_field(&reg("high", 7), 4, "high"),
            FieldDecision::ApplySame
        );
    }

    /// Replays edits in one server order over per-field registers and returns the final state
    /// and every value that was replaced without its author seeing it.
    fn replay(edits: &[(usize, u64, &str)], fields: usize) -> (Vec<Register>, Vec<String>) {
        let mut regs = vec![reg("", 0); fields];
        let mut lost = Vec::new();
        for (seq, (field, base, value)) in edits.iter().enumerate() {
            let seq = seq as u64 + 1;
            match merge_field(&regs[*field], *base, value) {
                FieldDecision::ApplyWithConflict { replaced } => lost.push(replaced),
                FieldDecision::Apply | FieldDecision::ApplySame => {}
            }
            regs[*field] = reg(value, seq);
        }
        (regs, lost)
    }

    #[test]
    fn edits_to_different_fields_merge() {
        // Two devices both started from version 0 and edited different fields.
        let (regs, conflicts) = replay(&[(0, 0, "goal A"), (1, 0, "medical B")], 2);
        assert_eq!(regs[0].value, "goal A");
        assert_eq!(regs[1].value, "medical B");
        assert!(conflicts.is_empty());
    }

    #[test]
    fn no_value_is_lost_whatever_the_order() {
        // Three concurrent edits of one field from version 0: every value is either the final
        // one or kept as replaced, in every arrival order.
        let values = ["a", "b", "c"];
        let orders = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for order in orders {
            let edits: Vec<_> = order.iter().map(|&i| (0, 0, values[i])).collect();
            let (regs, lost) = replay(&edits, 1);
            let mut kept: BTreeSet<&str> = lost.iter().map(String::as_str).collect();
            kept.insert(regs[0].value.as_str());
            assert_eq!(kept, values.into_iter().collect(), "order {order:?}");
            assert_eq!(regs[0].value, values[order[2]], "the last arrival wins");
        }
    }

    #[test]
    fn set_ops_on_different_members_commute() {
        let ops = [
            SetOp::Add(1),
            SetOp::Add(2),
            SetOp::Remove(3),
            SetOp::Add(4),
        ];
        let mut forward = BTreeSet::from([3]);
        let mut backward = BTreeSet::from([3]);
        ops.iter().for_each(|op| op.apply(&mut forward));
        ops.iter().rev().for_each(|op| op.apply(&mut backward));
        assert_eq!(forward, backward);
        assert_eq!(forward, BTreeSet::from([1, 2, 4]));
    }
}
