//! Home visits: a case, a time window, the team members who go, a place, a status.

use super::case::{CaseStatus, RiskLevel};
use super::code::coded_enum;
use super::error::{FieldError, Problem};
use super::ids::{CaseId, VisitId};
use super::staff::StaffRef;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

coded_enum!(
    /// What became of a visit.
    VisitStatus {
        /// Scheduled.
        Planned = "planned",
        /// Took place; the person was met.
        Done = "done",
        /// Went, but did not meet the person (不在など).
        NotMet = "not_met",
        /// Called off.
        Cancelled = "cancelled",
    }
);

impl VisitStatus {
    /// Whether the visit still lies ahead.
    pub fn is_open(self) -> bool {
        self == VisitStatus::Planned
    }

    /// The status after a note is recorded on the visit: an open visit closes, as done when
    /// the person was met and as not met otherwise; a closed one keeps its status. The server
    /// writes it, and a device shows it while its note waits to be sent.
    pub fn after_note(self, met: bool) -> VisitStatus {
        match (self.is_open(), met) {
            (false, _) => self,
            (true, true) => VisitStatus::Done,
            (true, false) => VisitStatus::NotMet,
        }
    }
}

/// The longest place of a visit, in characters.
pub const PLACE_MAX: usize = 200;

/// The city's time zone (Japan Standard Time has no daylight saving).
pub fn japan_time() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("nine hours is a valid offset")
}

/// The calendar day of an instant in Japan.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&japan_time()).date_naive()
}

/// The first instant of a calendar day in Japan.
pub fn day_starts(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(japan_time()).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("Japan has no daylight saving, so every midnight exists once")
}

/// The instant of a day and a clock time (`HH:MM`) as typed in Japan.
pub fn japan_instant(day: &str, clock: &str) -> Option<DateTime<Utc>> {
    let day = day.parse::<NaiveDate>().ok()?;
    let clock = chrono::NaiveTime::parse_from_str(clock, "%H:%M").ok()?;
    day.and_time(clock)
        .and_local_timezone(japan_time())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// When a visit is planned to take place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End, after the start.
    pub ends_at: DateTime<Utc>,
}

impl TimeWindow {
    /// A window that ends after it starts.
    pub fn new(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<Self, FieldError> {
        if ends_at <= starts_at {
            return Err(FieldError::new("ends_at", Problem::EndsBeforeStart));
        }
        Ok(Self { starts_at, ends_at })
    }

    /// `HH:MM–HH:MM` in Japan time.
    pub fn clock_range(&self) -> String {
        let tz = japan_time();
        format!(
            "{}–{}",
            self.starts_at.with_timezone(&tz).format("%H:%M"),
            self.ends_at.with_timezone(&tz).format("%H:%M")
        )
    }
}

/// A visit as listed on a field worker's day: enough to plan the route without opening the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Identifier.
    pub id: VisitId,
    /// The case visited.
    pub case_id: CaseId,
    /// The person's pseudonym.
    pub pseudonym: String,
    /// The case's risk level.
    pub risk: RiskLevel,
    /// The case's status.
    pub case_status: CaseStatus,
    /// When.
    pub window: TimeWindow,
    /// Where (an area or a meeting place, not a full address).
    pub place: String,
    /// What became of it.
    pub status: VisitStatus,
    /// Everyone assigned, with their agencies.
    pub members: Vec<StaffRef>,
}

impl Visit {
    /// The day the visit falls on, in Japan.
    pub fn day(&self) -> NaiveDate {
        local_day(self.window.starts_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_closes_an_open_visit_and_leaves_a_closed_one_as_it_was() {
        assert_eq!(VisitStatus::Planned.after_note(true), VisitStatus::Done);
        assert_eq!(VisitStatus::Planned.after_note(false), VisitStatus::NotMet);
        for closed in VisitStatus::ALL.iter().copied().filter(|s| !s.is_open()) {
            assert_eq!(closed.after_note(true), closed);
            assert_eq!(closed.after_note(false), closed);
        }
    }

    #[test]
    fn a_japan_day_starts_at_fifteen_hundred_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(day_starts(day).to_rfc3339(), "2026-11-29T15:00:00+00:00");
        assert_eq!(local_day(day_starts(day)), day);
    }

    #[test]
    fn a_clock_time_typed_in_japan_is_nine_hours_ahead_of_utc() {
        let at = japan_instant("2026-11-25", "10:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-25T01:00:00+00:00");
        assert_eq!(japan_instant("2026-11-25", "25:00"), None);
    }
    use chrono::TimeZone;

    #[test]
    fn a_window_must_end_after_it_starts() {
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap();
        assert!(TimeWindow::new(start, start).is_err());
        assert!(TimeWindow::new(start, start - chrono::Duration::minutes(5)).is_err());
        let w = TimeWindow::new(start, start + chrono::Duration::minutes(90)).unwrap();
        assert_eq!(w.clock_range(), "10:00–11:30");
    }

    #[test]
    fn days_are_counted_in_japan_time() {
        // 23:30 UTC on the 23rd is 08:30 on the 24th in Japan.
        let late = Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).unwrap();
        assert_eq!(
            local_day(late),
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
    }
}
