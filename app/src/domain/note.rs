//! Outreach notes (訪問記録): structured fields and free text, written by one author about one
//! visit. A submitted note is never overwritten; an amendment is a new revision.

use super::code::coded_enum;
use super::error::{optional_text, required_text, FieldError};
use super::ids::{CaseId, NoteId, VisitId};
use super::staff::StaffRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

coded_enum!(
    /// The fields of a note, by their stable form names.
    NoteField {
        /// Who was met (本人、家族など).
        MetWith = "met_with",
        /// Mental state observed.
        MentalState = "mental_state",
        /// Medication and treatment.
        Medication = "medication",
        /// Daily living.
        DailyLiving = "daily_living",
        /// Risks noticed.
        Risks = "risks",
        /// What was agreed with the person.
        Agreed = "agreed",
        /// Next steps for the team.
        NextSteps = "next_steps",
        /// Anything else, in free text.
        FreeText = "free_text",
    }
);

/// The longest a structured field may be, in characters.
pub const FIELD_MAX: usize = 4_000;
/// The longest the free text may be, in characters.
pub const FREE_TEXT_MAX: usize = 20_000;

impl NoteField {
    /// Whether the field must be filled in. When the person was not met, only the next steps
    /// are required: there is nothing to say about a mental state nobody saw.
    pub fn is_required(self, met: bool) -> bool {
        match self {
            NoteField::NextSteps => true,
            NoteField::MetWith | NoteField::MentalState => met,
            _ => false,
        }
    }

    /// The longest the field may be, in characters.
    pub fn max_len(self) -> usize {
        match self {
            NoteField::FreeText => FREE_TEXT_MAX,
            _ => FIELD_MAX,
        }
    }
}

/// The content of one revision of a note. Missing fields read as empty, so that a form that
/// leaves one out gets a "required" message rather than a decoding failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoteFields {
    /// Whether the person was met.
    pub met: bool,
    /// Who was met.
    pub met_with: String,
    /// Mental state observed.
    pub mental_state: String,
    /// Medication and treatment.
    pub medication: String,
    /// Daily living.
    pub daily_living: String,
    /// Risks noticed.
    pub risks: String,
    /// What was agreed.
    pub agreed: String,
    /// Next steps.
    pub next_steps: String,
    /// Free text.
    pub free_text: String,
}

impl NoteFields {
    /// The text of one field.
    pub fn get(&self, field: NoteField) -> &str {
        match field {
            NoteField::MetWith => &self.met_with,
            NoteField::MentalState => &self.mental_state,
            NoteField::Medication => &self.medication,
            NoteField::DailyLiving => &self.daily_living,
            NoteField::Risks => &self.risks,
            NoteField::Agreed => &self.agreed,
            NoteField::NextSteps => &self.next_steps,
            NoteField::FreeText => &self.free_text,
        }
    }

    /// The text of one field, to change it.
    pub fn slot(&mut self, field: NoteField) -> &mut String {
        match field {
            NoteField::MetWith => &mut self.met_with,
            NoteField::MentalState => &mut self.mental_state,
            NoteField::Medication => &mut self.medication,
            NoteField::DailyLiving => &mut self.daily_living,
            NoteField::Risks => &mut self.risks,
            NoteField::Agreed => &mut self.agreed,
            NoteField::NextSteps => &mut self.next_steps,
            NoteField::FreeText => &mut self.free_text,
        }
    }

    /// Validates a note as typed: trims every field, and reports every missing or overlong field
    /// at once so the author can fix them all in one pass.
    pub fn validate(mut self) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        for &field in NoteField::ALL {
            let checked = if field.is_required(self.met) {
                required_text(field.code(), self.get(field), field.max_len())
            } else {
                optional_text(field.code(), self.get(field), field.max_len())
            };
            match checked {
                Ok(text) => *self.slot(field) = text,
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// One revision of a note. Revision numbers start at 1; an amendment names the revision it
/// amends, so two amendments of the same revision are siblings and both are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRevision {
    /// 1 for the first submission, then increasing.
    pub revision: u32,
    /// The revision this one amends; `None` for the first.
    pub amends: Option<u32>,
    /// The content.
    pub fields: NoteFields,
    /// Who wrote this revision.
    pub author: StaffRef,
    /// When the author recorded it, by the device's clock (kept for the record, never for order).
    pub recorded_at: DateTime<Utc>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
}

/// An outreach note with every revision it has had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutreachNote {
    /// Identifier.
    pub id: NoteId,
    /// The visit it is about.
    pub visit_id: VisitId,
    /// The case.
    pub case_id: CaseId,
    /// The person's pseudonym, for lists.
    pub pseudonym: String,
    /// Every revision, oldest first.
    pub revisions: Vec<NoteRevision>,
}

impl OutreachNote {
    /// The revision to show first: the highest number.
    pub fn current(&self) -> Option<&NoteRevision> {
        self.revisions.iter().max_by_key(|r| r.revision)
    }

    /// The number the next amendment gets. Numbers are never reused, so nothing is overwritten.
    pub fn next_revision(&self) -> u32 {
        self.revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1
    }

    /// Revisions that amend the same earlier revision as another one: concurrent amendments.
    pub fn sibling_revisions(&self) -> Vec<(u32, Vec<u32>)> {
        let mut by_parent: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
        for r in &self.revisions {
            if let Some(parent) = r.amends {
                by_parent.entry(parent).or_default().push(r.revision);
            }
        }
        by_parent.into_iter().filter(|(_, v)| v.len() > 1).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Problem, Role, StaffId};
    use uuid::Uuid;

    fn complete() -> NoteFields {
        NoteFields {
            met: true,
            met_with: "本人".into(),
            mental_state: "落ち着いている".into(),
            next_steps: "来週再訪".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_note_is_accepted_and_trimmed() {
        let mut fields = complete();
        fields.free_text = "  玄関先で15分  ".into();
        let ok = fields.validate().unwrap();
        assert_eq!(ok.free_text, "玄関先で15分");
    }

    #[test]
    fn every_missing_required_field_is_reported_at_once() {
        let errors = NoteFields {
            met: true,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["met_with", "mental_state", "next_steps"]);
        assert!(errors.iter().all(|e| e.problem == Problem::Required));
    }

    #[test]
    fn when_nobody_was_met_only_next_steps_are_required() {
        let fields = NoteFields {
            met: false,
            next_steps: "手紙を置いた。明後日再訪".into(),
            ..Default::default()
        };
        assert!(fields.validate().is_ok());
    }

    #[test]
    fn overlong_free_text_is_refused() {
        let mut fields = complete();
        fields.free_text = "x".repeat(FREE_TEXT_MAX + 1);
        let errors = fields.validate().unwrap_err();
        assert_eq!(
            errors,
            [FieldError::new(
                "free_text",
                Problem::TooLong { max: FREE_TEXT_MAX }
            )]
        );
    }

    fn revision(revision: u32, amends: Option<u32>) -> NoteRevision {
        NoteRevision {
            revision,
            amends,
            fields: complete(),
            author: StaffRef {
                id: StaffId(Uuid::from_u128(1)),
                display_name: "A".into(),
                role: Role::Nurse,
                home_agency: ("保健所".into(), "PHC".into()),
                acts_for: None,
                acting_agency: None,
            },
            recorded_at: Utc::now(),
            received_at: Utc::now(),
        }
    }

    #[test]
    fn amendments_get_new_numbers_and_concurrent_ones_stay_side_by_side() {
        let mut note = OutreachNote {
            id: NoteId(Uuid::from_u128(9)),
            visit_id: VisitId(Uuid::from_u128(8)),
            case_id: CaseId(Uuid::from_u128(7)),
            pseudonym: "Aさん".into(),
            revisions: vec![revision(1, None)],
        };
        assert_eq!(note.next_revision(), 2);
        note.revisions.push(revision(2, Some(1)));
        note.revisions.push(revision(3, Some(1)));
        assert_eq!(note.next_revision(), 4);
        assert_eq!(note.current().map(|r| r.revision), Some(3));
        assert_eq!(note.sibling_revisions(), vec![(1, vec![2, 3])]);
        assert_eq!(note.revisions.len(), 3, "no revision is dropped");
    }
}
