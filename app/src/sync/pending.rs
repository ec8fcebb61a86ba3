//! The one place a device's pending changes meet its pulled records: each mutation still in
//! the outbox (or applied by the server and not pulled back yet) is applied to a copy of the
//! records, oldest first, as the server will apply it. Every screen reads that copy, so a
//! change made offline shows at once, everywhere, the same way.
//!
//! A record a pending change made is held with sequence 0: the screens mark it unsent.

use super::protocol::{AgencyPhase, Change, Mutation, Op};
use super::records::{
    AgenciesRecord, CaseRecord, ConflictField, ConflictRecord, Kind, Record, Reference,
    ReviewRecord, RevisionRecord, SuggestionRecord, TeamRecord, VisitRecord,
};
use super::replica::Replica;
use crate::domain::visit::local_day;
use crate::domain::{CaseId, CaseStatus, IntakeChannel, NoteId, StaffId};
use std::borrow::Cow;

impl Replica {
    /// The replica as the screens show it: the pulled records with every pending change
    /// applied ([`Self::apply_pending`]). Borrowed as it is when nothing is pending.
    pub(super) fn overlaid(&self, me: StaffId, reference: &Reference) -> Cow<'_, Replica> {
        if self.outbox.is_empty() && self.settling.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut copy = self.clone();
        let pending: Vec<Mutation> = self.settling.iter().chain(&self.outbox).cloned().collect();
        copy.apply_pending(&pending, me, reference);
        Cow::Owned(copy)
    }

    /// Applies pending mutations, oldest first, to the held records, as the server will: a
    /// registered case with its team and agencies, a planned visit that brings its members into
    /// the team, team and agency changes, field edits, a note (which closes an open visit) or
    /// its amendment as the next revision, a review, a settled conflict with the value chosen,
    /// a directory listing suggested to the team or taken back.
    /// A change about something the device does not hold changes nothing.
    pub fn apply_pending(&mut self, pending: &[Mutation], me: StaffId, reference: &Reference) {
        for m in pending {
            self.apply_one(m, me, reference);
        }
    }

    fn apply_one(&mut self, m: &Mutation, me: StaffId, reference: &Reference) {
        match &m.op {
            Op::OpenCase {
                case_id,
                pseudonym,
                risk,
                agencies,
            } => {
                let acting = reference.person(me).acting_agency;
                let channel = acting
                    .and_then(|a| reference.agency(a))
                    .and_then(|a| IntakeChannel::registered_at(a.kind))
                    .unwrap_or(IntakeChannel::PublicHealthCenter);
                let case = CaseRecord {
                    pseudonym: pseudonym.clone(),
                    intake_channel: channel,
                    program: channel.responsible_program(),
                    intake_agency_id: acting,
                    risk: *risk,
                    status: CaseStatus::Intake,
                    life_goal: String::new(),
                    medical_view: String::new(),
                    welfare_view: String::new(),
                    opened_on: local_day(m.recorded_at),
                    closed_on: None,
                    versions: Default::default(),
                };
                self.put(*case_id, case_id.to_string(), case);
                self.edit_team(*case_id, |team| team.push(me));
                self.edit_agencies(*case_id, AgencyPhase::Intake, |list| list.extend(agencies));
            }
            Op::PlanVisit {
                visit_id,
                case_id,
                starts_at,
                ends_at,
                place,
                members,
            } => {
                let visit = VisitRecord {
                    case_id: *case_id,
                    starts_at: *starts_at,
                    ends_at: *ends_at,
                    place: place.clone(),
                    status: crate::domain::VisitStatus::Planned,
                    outcome: String::new(),
                    next_visit_on: String::new(),
                    members: members.clone(),
                    versions: Default::default(),
                };
                self.put(*case_id, visit_id.to_string(), visit);
                self.edit_team(*case_id, |team| team.extend(members));
            }
            Op::JoinTeam { case_id, staff_id } => {
                self.edit_team(*case_id, |team| team.push(*staff_id));
            }
            Op::LeaveTeam { case_id, staff_id } => {
                self.edit_team(*case_id, |team| team.retain(|s| s != staff_id));
            }
            Op::AddAgency {
                case_id,
                phase,
                agency_id,
            } => self.edit_agencies(*case_id, *phase, |list| list.push(*agency_id)),
            Op::RemoveAgency {
                case_id,
                phase,
                agency_id,
            } => self.edit_agencies(*case_id, *phase, |list| list.retain(|a| a != agency_id)),
            Op::EditCase { case_id, edit } => {
                if let Some(case) = self.held_mut::<CaseRecord>(&case_id.to_string()) {
                    case.set(edit.field, &edit.value);
                }
            }
            Op::EditVisit { visit_id, edit } => {
                if let Some(visit) = self.held_mut::<VisitRecord>(&visit_id.to_string()) {
                    visit.set(edit.field, &edit.value);
                }
            }
            Op::CreateNote {
                note_id,
                visit_id,
                fields,
            } => {
                let Some(visit) = self.held_mut::<VisitRecord>(&visit_id.to_string()) else {
                    return;
                };
                visit.status = visit.status.after_note(fields.met);
                let case_id = visit.case_id;
                self.add_revision(case_id, *note_id, *visit_id, None, fields, me, m);
            }
            Op::AmendNote {
                note_id,
                amends,
                fields,
            } => {
                let Some((case_id, visit_id)) = self
                    .revisions_of(*note_id)
                    .next()
                    .map(|(c, r)| (c.case_id, r.visit_id))
                else {
                    return;
                };
                self.add_revision(case_id, *note_id, visit_id, Some(*amends), fields, me, m);
            }
            Op::ReviewNote {
                review_id,
                note_id,
                revision,
                decision,
            } => {
                let Some(case_id) = self.revisions_of(*note_id).next().map(|(c, _)| c.case_id)
                else {
                    return;
                };
                let review = ReviewRecord::new(*note_id, *revision, me, decision, m.recorded_at);
                self.put(case_id, review_id.to_string(), review);
            }
            Op::SuggestListing {
                suggestion_id,
                case_id,
                business,
                hub,
            } => {
                if self.held::<CaseRecord>(&case_id.to_string()).is_none() {
                    return;
                }
                let suggestion = SuggestionRecord {
                    business: *business,
                    hub: *hub,
                    suggested_by: me,
                    suggested_at: m.recorded_at,
                    withdrawn_at: None,
                };
                self.put(*case_id, suggestion_id.to_string(), suggestion);
            }
            Op::WithdrawSuggestion { suggestion_id, .. } => {
                if let Some(s) = self.held_mut::<SuggestionRecord>(&suggestion_id.to_string()) {
                    s.withdrawn_at.get_or_insert(m.recorded_at);
                }
            }
            Op::ResolveConflict { conflict_id, value } => {
                let Some(conflict) = self.held_mut::<ConflictRecord>(&conflict_id.to_string())
                else {
                    return;
                };
                conflict.resolved_at = Some(m.recorded_at);
                let id = conflict.entity_id.clone();
                match conflict.about() {
                    Some(ConflictField::Case(field)) => {
                        if let Some(case) = self.held_mut::<CaseRecord>(&id) {
                            case.set(field, value);
                        }
                    }
                    Some(ConflictField::Visit(field)) => {
                        if let Some(visit) = self.held_mut::<VisitRecord>(&id) {
                            visit.set(field, value);
                        }
                    }
                    None => {}
                }
            }
        }
    }

    /// Holds a record a pending change made (sequence 0: not logged by the server yet).
    fn put(&mut self, case_id: CaseId, entity_id: String, record: impl Into<Record>) {
        let change = Change {
            seq: 0,
            case_id,
            entity_id,
            record: record.into(),
        };
        self.records.insert(change.key(), change);
    }

    fn held_mut<T: Kind>(&mut self, id: &str) -> Option<&mut T> {
        self.records
            .get_mut(&(T::ENTITY.to_owned(), id.to_owned()))
            .and_then(|c| T::of_mut(&mut c.record))
    }

    /// Changes a case's team, creating the record if the device holds none yet.
    fn edit_team(&mut self, case_id: CaseId, edit: impl FnOnce(&mut Vec<StaffId>)) {
        self.edit_set(case_id, |team: &mut TeamRecord| &mut team.members, edit);
    }

    /// Changes a case's agencies of one phase, creating the record if the device holds none.
    fn edit_agencies(
        &mut self,
        case_id: CaseId,
        phase: AgencyPhase,
        edit: impl FnOnce(&mut Vec<crate::domain::AgencyId>),
    ) {
        self.edit_set(case_id, |a: &mut AgenciesRecord| a.of_mut(phase), edit);
    }

    /// Changes one set of a case's record of kind `T` (kept by the case's id), creating the
    /// record if the device holds none yet. The set stays sorted and without repeats, as the
    /// server logs it.
    fn edit_set<T, X: Ord>(
        &mut self,
        case_id: CaseId,
        set: impl FnOnce(&mut T) -> &mut Vec<X>,
        edit: impl FnOnce(&mut Vec<X>),
    ) where
        T: Kind + Default + Clone + Into<Record>,
    {
        let mut record = self
            .held::<T>(&case_id.to_string())
            .cloned()
            .unwrap_or_default();
        let list = set(&mut record);
        edit(list);
        list.sort();
        list.dedup();
        self.put(case_id, case_id.to_string(), record);
    }

    /// A note's next revision, numbered after those held (the server numbers it for good).
    #[allow(clippy::too_many_arguments)]
    fn add_revision(
        &mut self,
        case_id: CaseId,
        note_id: NoteId,
        visit_id: crate::domain::VisitId,
        amends: Option<u32>,
        fields: &crate::domain::NoteFields,
        me: StaffId,
        m: &Mutation,
    ) {
        let last = self
            .revisions_of(note_id)
            .map(|(_, r)| r.revision)
            .max()
            .unwrap_or(0);
        let revision = RevisionRecord {
            note_id,
            revision: last + 1,
            amends,
            visit_id,
            author_id: me,
            fields: fields.clone(),
            recorded_at: m.recorded_at,
            received_at: m.recorded_at,
        };
        self.put(case_id, revision.entity_id(), revision);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::review::ReviewDecision;
    use crate::domain::{AgencyId, NoteFields, RiskLevel, VisitId, VisitStatus};
    use crate::sync::FieldEdit;
    use crate::sync::{CaseField, VisitField};
    use chrono::{DateTime, Duration, Utc};
    use uuid::Uuid;

    use crate::sync::fixtures::*;

    const NOTE: u128 = 5;

    fn note_id() -> NoteId {
        NoteId(Uuid::from_u128(NOTE))
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    /// A device holding one case with one planned visit of mine.
    fn device() -> Replica {
        device_with(case_and_visit("2026-11-24T01:00:00Z", &[ME]))
    }

    fn pending(ops: Vec<Op>) -> Vec<Mutation> {
        ops.into_iter()
            .enumerate()
            .map(|(i, op)| Mutation {
                id: i as u64 + 1,
                recorded_at: at(200 + i as i64),
                op,
            })
            .collect()
    }

    fn applied(ops: Vec<Op>) -> Replica {
        let mut replica = device();
        replica.apply_pending(&pending(ops), me(), &Reference::default());
        replica
    }

    fn note(met: bool, text: &str) -> NoteFields {
        NoteFields {
            met,
            next_steps: text.into(),
            ..Default::default()
        }
    }

    fn visit(replica: &Replica) -> &VisitRecord {
        replica.held(&visit_id().to_string()).unwrap()
    }

    fn case(replica: &Replica) -> &CaseRecord {
        replica.held(&case_id().to_string()).unwrap()
    }

    #[test]
    fn a_note_becomes_revision_one_unsent_and_closes_the_open_visit() {
        let replica = applied(vec![Op::CreateNote {
            note_id: note_id(),
            visit_id: visit_id(),
            fields: note(false, "再訪"),
        }]);
        let revisions: Vec<_> = replica.revisions_of(note_id()).collect();
        assert_eq!(revisions.len(), 1);
        let (change, revision) = revisions[0];
        assert_eq!(
            (change.seq, change.case_id),
            (0, case_id()),
            "unsent, of the visit's case"
        );
        assert_eq!((revision.revision, revision.author_id), (1, me()));
        assert_eq!(visit(&replica).status, VisitStatus::NotMet);
    }

    #[test]
    fn amendments_number_on_in_the_order_they_were_made() {
        let replica = applied(vec![
            Op::CreateNote {
                note_id: note_id(),
                visit_id: visit_id(),
                fields: note(true, "初回"),
            },
            Op::AmendNote {
                note_id: note_id(),
                amends: 1,
                fields: note(true, "訂正"),
            },
            Op::AmendNote {
                note_id: note_id(),
                amends: 2,
                fields: note(true, "再訂正"),
            },
        ]);
        let texts: Vec<(u32, Option<u32>, String)> = replica
            .revisions_of(note_id())
            .map(|(_, r)| (r.revision, r.amends, r.fields.next_steps.clone()))
            .collect();
        assert_eq!(
            texts,
            [
                (1, None, "初回".into()),
                (2, Some(1), "訂正".into()),
                (3, Some(2), "再訂正".into())
            ]
        );
        assert_eq!(visit(&replica).status, VisitStatus::Done);
    }

    #[test]
    fn later_edits_of_a_field_win_and_a_bad_value_changes_nothing() {
        let edit = |field: CaseField, value: &str| Op::EditCase {
            case_id: case_id(),
            edit: FieldEdit {
                field,
                value: value.into(),
                base_version: 0,
            },
        };
        let replica = applied(vec![
            edit(CaseField::Risk, "high"),
            edit(CaseField::Risk, "low"),
            edit(CaseField::Status, "no such status"),
            edit(CaseField::LifeGoal, "仕事に戻る"),
        ]);
        let case = case(&replica);
        assert_eq!(
            (case.risk, case.status),
            (RiskLevel::Low, CaseStatus::Active)
        );
        assert_eq!(case.life_goal, "仕事に戻る");

        let moved = applied(vec![Op::EditVisit {
            visit_id: visit_id(),
            edit: FieldEdit {
                field: VisitField::StartsAt,
                value: "2030-01-02T03:04:05Z".into(),
                base_version: 0,
            },
        }]);
        assert_eq!(
            visit(&moved).starts_at.to_rfc3339(),
            "2030-01-02T03:04:05+00:00"
        );
    }

    #[test]
    fn a_case_registered_here_comes_with_its_team_and_agencies_and_visits() {
        let new_case = CaseId(Uuid::from_u128(10));
        let new_visit = VisitId(Uuid::from_u128(11));
        let (other, agency) = (StaffId(Uuid::from_u128(12)), AgencyId(Uuid::from_u128(13)));
        let replica = applied(vec![
            Op::OpenCase {
                case_id: new_case,
                pseudonym: "Bさん".into(),
                risk: RiskLevel::High,
                agencies: vec![agency],
            },
            Op::PlanVisit {
                visit_id: new_visit,
                case_id: new_case,
                starts_at: at(300),
                ends_at: at(360),
                place: "南区".into(),
                members: vec![me(), other],
            },
            Op::AddAgency {
                case_id: new_case,
                phase: AgencyPhase::Close,
                agency_id: agency,
            },
            Op::LeaveTeam {
                case_id: new_case,
                staff_id: other,
            },
        ]);
        let case = replica.held::<CaseRecord>(&new_case.to_string()).unwrap();
        assert_eq!(
            (case.status, case.risk),
            (CaseStatus::Intake, RiskLevel::High)
        );
        let team = replica.held::<TeamRecord>(&new_case.to_string()).unwrap();
        assert_eq!(team.members, [me()], "joined by the visit, then left");
        let agencies = replica
            .held::<AgenciesRecord>(&new_case.to_string())
            .unwrap();
        assert_eq!(
            (&agencies.intake[..], &agencies.close[..]),
            (&[agency][..], &[agency][..])
        );
        let visit = replica.held::<VisitRecord>(&new_visit.to_string()).unwrap();
        assert_eq!(visit.members.len(), 2);
    }

    #[test]
    fn a_review_and_a_settled_conflict_show_and_what_is_not_held_changes_nothing() {
        let conflict = Uuid::from_u128(20);
        let mut replica = applied(vec![Op::CreateNote {
            note_id: note_id(),
            visit_id: visit_id(),
            fields: note(true, "記録"),
        }]);
        replica.records.insert(
            ("conflict".into(), conflict.to_string()),
            Change {
                seq: 3,
                case_id: case_id(),
                entity_id: conflict.to_string(),
                record: ConflictRecord {
                    entity: "visit".into(),
                    entity_id: visit_id().to_string(),
                    field: "status".into(),
                    winner_value: "not_met".into(),
                    winner_author_id: me(),
                    winner_recorded_at: None,
                    replaced_value: "cancelled".into(),
                    replaced_author_id: None,
                    replaced_recorded_at: None,
                    resolved_at: None,
                }
                .into(),
            },
        );
        let before = replica.records.len();
        replica.apply_pending(
            &pending(vec![
                Op::ReviewNote {
                    review_id: Uuid::from_u128(21),
                    note_id: note_id(),
                    revision: 1,
                    decision: ReviewDecision::Approved,
                },
                Op::ResolveConflict {
                    conflict_id: conflict,
                    value: "cancelled".into(),
                },
                Op::ReviewNote {
                    review_id: Uuid::from_u128(22),
                    note_id: NoteId(Uuid::from_u128(404)),
                    revision: 1,
                    decision: ReviewDecision::Approved,
                },
                Op::CreateNote {
                    note_id: NoteId(Uuid::from_u128(405)),
                    visit_id: VisitId(Uuid::from_u128(406)),
                    fields: note(true, "どこにも"),
                },
            ]),
            me(),
            &Reference::default(),
        );
        assert_eq!(
            replica.records.len(),
            before + 1,
            "only the held note's review"
        );
        let review: &ReviewRecord = replica.held(&Uuid::from_u128(21).to_string()).unwrap();
        assert_eq!(review.decision(), Some(ReviewDecision::Approved));
        let settled: &ConflictRecord = replica.held(&conflict.to_string()).unwrap();
        assert!(settled.resolved_at.is_some());
        assert_eq!(
            visit(&replica).status,
            VisitStatus::Cancelled,
            "the value chosen"
        );
    }

    #[test]
    fn a_suggested_listing_shows_unsent_and_taking_it_back_keeps_it_withdrawn() {
        let (business, hub) = (AgencyId(Uuid::from_u128(30)), AgencyId(Uuid::from_u128(31)));
        let suggest = |id: u128, case_id: CaseId| Op::SuggestListing {
            suggestion_id: Uuid::from_u128(id),
            case_id,
            business,
            hub,
        };
        let replica = applied(vec![
            suggest(40, case_id()),
            suggest(41, case_id()),
            Op::WithdrawSuggestion {
                suggestion_id: Uuid::from_u128(41),
                case_id: case_id(),
            },
            suggest(42, CaseId(Uuid::from_u128(404))),
            Op::WithdrawSuggestion {
                suggestion_id: Uuid::from_u128(43),
                case_id: case_id(),
            },
        ]);
        let kept: &SuggestionRecord = replica.held(&Uuid::from_u128(40).to_string()).unwrap();
        assert_eq!(
            (
                kept.business,
                kept.hub,
                kept.suggested_by,
                kept.withdrawn_at
            ),
            (business, hub, me(), None)
        );
        assert_eq!(kept.suggested_at, at(200));
        let change = replica
            .held_change::<SuggestionRecord>(&Uuid::from_u128(40).to_string())
            .unwrap();
        assert_eq!(
            (change.seq, change.case_id),
            (0, case_id()),
            "unsent, of the case"
        );
        let taken_back: &SuggestionRecord = replica.held(&Uuid::from_u128(41).to_string()).unwrap();
        assert_eq!(taken_back.withdrawn_at, Some(at(202)));
        assert!(
            replica
                .held::<SuggestionRecord>(&Uuid::from_u128(42).to_string())
                .is_none(),
            "a case the device does not hold"
        );
        assert_eq!(replica.all::<SuggestionRecord>().count(), 2);
    }
}
