//! The program's indicators for a period: where cases come in, how soon they are first
//! visited, which agencies go on visits and how often together, and — the city's own
//! evaluation measure — whether the number of agencies involved grew from intake to close.

use super::case::{IntakeChannel, Program};
use super::error::{FieldError, Problem};
use super::ids::AgencyId;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A closed range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
}

impl Period {
    /// How many days a period covers when nobody chooses one.
    pub const DEFAULT_DAYS: i64 = 90;

    /// The default period: the last [`Period::DEFAULT_DAYS`] days up to `today`.
    pub fn recent(today: NaiveDate) -> Self {
        Period {
            from: today - chrono::Duration::days(Self::DEFAULT_DAYS),
            to: today,
        }
    }

    /// Reads a period from two `YYYY-MM-DD` days, the first not after the second.
    pub fn parse(from: &str, to: &str) -> Result<Self, Vec<FieldError>> {
        let day = |field: &str, text: &str| {
            text.parse::<NaiveDate>()
                .map_err(|_| FieldError::new(field, Problem::UnknownChoice))
        };
        match (day("from", from), day("to", to)) {
            (Ok(from), Ok(to)) if from <= to => Ok(Period { from, to }),
            (Ok(_), Ok(_)) => Err(vec![FieldError::new("to", Problem::EndsBeforeStart)]),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }

    /// Whether a day falls in the period.
    pub fn holds(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// What the indicators need of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// Where it came in.
    pub channel: IntakeChannel,
    /// Who is responsible.
    pub program: Program,
    /// The day it was registered.
    pub opened_on: NaiveDate,
    /// The day of its first visit that took place, if any.
    pub first_visit_on: Option<NaiveDate>,
    /// The day it closed, if it has.
    pub closed_on: Option<NaiveDate>,
    /// What the team calls the person.
    pub pseudonym: String,
    /// How many agencies were involved at intake.
    pub agencies_at_intake: usize,
    /// How many at close.
    pub agencies_at_close: usize,
}

/// What the indicators need of a visit that took place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFacts {
    /// The day, in Japan.
    pub day: NaiveDate,
    /// The distinct agencies its members acted for.
    pub agencies: BTreeSet<AgencyId>,
}

/// A closed case's agencies at intake and at close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedCase {
    /// Pseudonym.
    pub pseudonym: String,
    /// Agencies at intake.
    pub at_intake: usize,
    /// Agencies at close.
    pub at_close: usize,
}

/// The indicators of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicators {
    /// The period.
    pub period: Period,
    /// Cases opened in the period, by intake channel and program.
    pub cases_by_channel: Vec<(IntakeChannel, Program, usize)>,
    /// For cases opened in the period and visited: days from intake to the first visit.
    pub days_to_first_visit: Vec<i64>,
    /// Cases opened in the period not visited yet.
    pub not_visited_yet: usize,
    /// Visits that took place in the period, per ISO week (`2026-W47`) and agency: a visit
    /// counts once for each agency its members acted for.
    pub visits_per_agency_week: Vec<(String, AgencyId, usize)>,
    /// Visits that took place in the period.
    pub visits: usize,
    /// Of those, visits with two or more agencies.
    pub joint_visits: usize,
    /// Cases closed in the period.
    pub closed: Vec<ClosedCase>,
}

impl Indicators {
    /// Works the indicators out for `period`.
    pub fn compute(period: Period, cases: &[CaseFacts], visits: &[VisitFacts]) -> Self {
        let opened: Vec<&CaseFacts> = cases.iter().filter(|c| period.holds(c.opened_on)).collect();
        let mut by_channel: BTreeMap<(&str, &str), (IntakeChannel, Program, usize)> =
            BTreeMap::new();
        for c in &opened {
            by_channel
                .entry((c.channel.code(), c.program.code()))
                .or_insert((c.channel, c.program, 0))
                .2 += 1;
        }
        let mut days_to_first_visit: Vec<i64> = opened
            .iter()
            .filter_map(|c| Some((c.first_visit_on? - c.opened_on).num_days()))
            .collect();
        days_to_first_visit.sort_unstable();
        let not_visited_yet = opened.iter().filter(|c| c.first_visit_on.is_none()).count();
        let held: Vec<&VisitFacts> = visits.iter().filter(|v| period.holds(v.day)).collect();
        let mut per_week: BTreeMap<(String, AgencyId), usize> = BTreeMap::new();
        for v in &held {
            let week = v.day.iso_week();
            for agency in &v.agencies {
                *per_week
                    .entry((format!("{}-W{:02}", week.year(), week.week()), *agency))
                    .or_default() += 1;
            }
        }
        let closed = cases
            .iter()
            .filter(|c| c.closed_on.is_some_and(|d| period.holds(d)))
            .map(|c| ClosedCase {
                pseudonym: c.pseudonym.clone(),
                at_intake: c.agencies_at_intake,
                at_close: c.agencies_at_close,
            })
            .collect();
        Indicators {
            period,
            cases_by_channel: by_channel.into_values().collect(),
            days_to_first_visit,
            not_visited_yet,
            visits_per_agency_week: per_week.into_iter().map(|((w, a), n)| (w, a, n)).collect(),
            visits: held.len(),
            joint_visits: held.iter().filter(|v| v.agencies.len() >= 2).count(),
            closed,
        }
    }

    /// The median of the days to a first visit (the lower middle of an even count).
    pub fn median_days_to_first_visit(&self) -> Option<i64> {
        let list = &self.days_to_first_visit;
        (!list.is_empty()).then(|| list[(list.len() - 1) / 2])
    }

    /// Closed cases whose number of agencies grew from intake to close, and how many closed.
    pub fn agencies_grew(&self) -> (usize, usize) {
        let grew = self
            .closed
            .iter()
            .filter(|c| c.at_close > c.at_intake)
            .count();
        (grew, self.closed.len())
    }
}

/// A share as a whole percentage, or `None` of nothing.
pub fn percent(part: usize, whole: usize) -> Option<u32> {
    (whole > 0).then(|| ((part * 100 + whole / 2) / whole) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn agency(n: u128) -> AgencyId {
        AgencyId(Uuid::from_u128(n))
    }

    fn case(
        opened: u32,
        first_visit: Option<u32>,
        closed: Option<(u32, usize, usize)>,
    ) -> CaseFacts {
        CaseFacts {
            channel: IntakeChannel::WelfareDesk,
            program: Program::ModelProgram,
            opened_on: day(opened),
            first_visit_on: first_visit.map(day),
            closed_on: closed.map(|c| day(c.0)),
            pseudonym: format!("case {opened}"),
            agencies_at_intake: closed.map(|c| c.1).unwrap_or(1),
            agencies_at_close: closed.map(|c| c.2).unwrap_or(0),
        }
    }

    #[test]
    fn known_cases_and_visits_give_exact_figures() {
        let period = Period {
            from: day(2),
            to: day(20),
        };
        let mut phc = case(5, Some(6), None);
        phc.channel = IntakeChannel::PublicHealthCenter;
        phc.program = Program::PublicHealthCenter;
        let cases = vec![
            case(1, Some(3), Some((10, 1, 3))), // opened before the period, closed in it: grew
            case(2, Some(4), Some((12, 2, 2))), // same number: did not grow
            case(3, Some(10), None),
            case(4, None, None),
            phc,
            case(21, Some(22), Some((22, 1, 5))), // after the period: not counted
        ];
        let visits = vec![
            VisitFacts {
                day: day(16), // Monday, week 47
                agencies: [agency(1), agency(2)].into(),
            },
            VisitFacts {
                day: day(17),
                agencies: [agency(1)].into(),
            },
            VisitFacts {
                day: day(9), // week 46
                agencies: [agency(2)].into(),
            },
            VisitFacts {
                day: day(25),
                agencies: [agency(1), agency(2)].into(),
            },
        ];
        let figures = Indicators::compute(period, &cases, &visits);
        assert_eq!(
            figures.cases_by_channel,
            vec![
                (
                    IntakeChannel::PublicHealthCenter,
                    Program::PublicHealthCenter,
                    1
                ),
                (IntakeChannel::WelfareDesk, Program::ModelProgram, 3),
            ]
        );
        assert_eq!(figures.days_to_first_visit, vec![1, 2, 7]);
        assert_eq!(figures.median_days_to_first_visit(), Some(2));
        assert_eq!(figures.not_visited_yet, 1);
        assert_eq!((figures.visits, figures.joint_visits), (3, 1));
        assert_eq!(
            figures.visits_per_agency_week,
            vec![
                ("2026-W46".to_owned(), agency(2), 1),
                ("2026-W47".to_owned(), agency(1), 2),
                ("2026-W47".to_owned(), agency(2), 1),
            ]
        );
        assert_eq!(figures.agencies_grew(), (1, 2));
        assert_eq!(percent(1, 2), Some(50));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(0, 0), None);
    }

    #[test]
    fn a_period_is_two_days_in_order() {
        assert_eq!(
            Period::parse("2026-11-02", "2026-11-20"),
            Ok(Period {
                from: day(2),
                to: day(20)
            })
        );
        assert_eq!(
            Period::parse("2026-11-20", "2026-11-02"),
            Err(vec![FieldError::new("to", Problem::EndsBeforeStart)])
        );
        assert_eq!(
            Period::parse("x", "2026-11-02").unwrap_err()[0].field,
            "from"
        );
        assert_eq!(
            Period::recent(day(30)).from,
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
        );
    }
}
