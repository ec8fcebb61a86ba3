//! Reviews: a supervisor approves a note or returns it with a comment.

use super::error::{required_text, FieldError};
use super::ids::NoteId;
use super::staff::StaffRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest a review comment may be, in characters.
pub const COMMENT_MAX: usize = 2_000;

/// A supervisor's decision on one revision of a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewDecision {
    /// The note is accepted as it stands.
    Approved,
    /// The author is asked to amend it; the comment says what to change.
    Returned {
        /// What the author should change.
        comment: String,
    },
}

impl ReviewDecision {
    /// Reads a decision from a form: `approve`, or `return` with a comment that must not be blank.
    pub fn parse(decision: &str, comment: &str) -> Result<Self, FieldError> {
        match decision {
            "approve" => Ok(ReviewDecision::Approved),
            "return" => Ok(ReviewDecision::Returned {
                comment: required_text("comment", comment, COMMENT_MAX)?,
            }),
            _ => Err(FieldError::new(
                "decision",
                super::error::Problem::UnknownChoice,
            )),
        }
    }
}

impl ReviewDecision {
    /// The stored code of the decision, as [`ReviewDecision::parse`] reads it.
    pub fn code(&self) -> &'static str {
        match self {
            ReviewDecision::Approved => "approve",
            ReviewDecision::Returned { .. } => "return",
        }
    }

    /// The comment a return carries; empty for an approval.
    pub fn comment(&self) -> &str {
        match self {
            ReviewDecision::Approved => "",
            ReviewDecision::Returned { comment } => comment,
        }
    }
}

/// A review of one revision of a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The note reviewed.
    pub note_id: NoteId,
    /// The revision reviewed.
    pub revision: u32,
    /// Who reviewed it.
    pub reviewer: StaffRef,
    /// The decision.
    pub decision: ReviewDecision,
    /// When, by the server's clock.
    pub decided_at: DateTime<Utc>,
}

/// Where a note stands with its supervisor: only a decision on its current revision counts, so
/// an amendment after a return goes back into the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewState {
    /// Nobody has decided on the current revision yet.
    Waiting,
    /// The current revision is accepted.
    Approved,
    /// The current revision was sent back with this comment.
    Returned(String),
}

impl ReviewState {
    /// The state of a note whose current revision is `current`, given decisions in the order
    /// they were made as `(revision, decision)`: the last decision on the current revision
    /// counts.
    pub fn of<'a>(
        current: u32,
        decisions: impl IntoIterator<Item = (u32, &'a ReviewDecision)>,
    ) -> Self {
        decisions
            .into_iter()
            .filter(|(revision, _)| *revision == current)
            .last()
            .map(|(_, decision)| match decision {
                ReviewDecision::Approved => ReviewState::Approved,
                ReviewDecision::Returned { comment } => ReviewState::Returned(comment.clone()),
            })
            .unwrap_or(ReviewState::Waiting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Problem;

    #[test]
    fn an_amendment_after_a_return_waits_for_review_again() {
        let returned = ReviewDecision::Returned {
            comment: "服薬状況を追記".into(),
        };
        let approved = ReviewDecision::Approved;
        assert_eq!(ReviewState::of(1, []), ReviewState::Waiting);
        assert_eq!(
            ReviewState::of(1, [(1, &returned)]),
            ReviewState::Returned("服薬状況を追記".into())
        );
        assert_eq!(ReviewState::of(2, [(1, &returned)]), ReviewState::Waiting);
        assert_eq!(
            ReviewState::of(2, [(1, &returned), (2, &approved)]),
            ReviewState::Approved
        );
        // A later decision on the same revision replaces an earlier one.
        assert_eq!(
            ReviewState::of(2, [(2, &approved), (2, &returned)]),
            ReviewState::Returned("服薬状況を追記".into())
        );
    }

    #[test]
    fn returning_a_note_needs_a_comment() {
        assert_eq!(
            ReviewDecision::parse("return", "  "),
            Err(FieldError::new("comment", Problem::Required))
        );
        assert_eq!(
            ReviewDecision::parse("return", "服薬状況を追記してください"),
            Ok(ReviewDecision::Returned {
                comment: "服薬状況を追記してください".into()
            })
        );
        assert_eq!(
            ReviewDecision::parse("approve", ""),
            Ok(ReviewDecision::Approved)
        );
        assert!(ReviewDecision::parse("delete", "").is_err());
    }
}
