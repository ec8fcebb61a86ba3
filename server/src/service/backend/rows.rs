//! Reading database rows into domain values. Every coded column goes through the domain's
//! `parse`, so a bad value in the database is an error here rather than a panic later.

use super::super::DbRow;
use anyhow::{anyhow, Context};
use app::domain::{Role, StaffRef};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::str::FromStr;

/// Columns that describe a staff member with both agencies; pair with [`STAFF_JOIN`].
pub const STAFF_COLS: &str = "st.id AS staff_id, st.display_name, st.role, \
     st.home_agency_id, h.name_ja AS home_ja, h.name_en AS home_en, \
     st.acts_for_agency_id, a.name_ja AS acts_ja, a.name_en AS acts_en";

/// Joins the home (`h`) and acting (`a`) agencies of the staff member `st`.
pub const STAFF_JOIN: &str = "JOIN agencies h ON h.id = st.home_agency_id \
     JOIN agencies a ON a.id = st.acts_for_agency_id";

/// A text column.
pub fn text(row: &DbRow, col: &str) -> anyhow::Result<String> {
    row.try_get::<String, _>(col)
        .with_context(|| format!("reading column {col}"))
}

/// An id column (any of the domain's id types).
pub fn id<T: FromStr>(row: &DbRow, col: &str) -> anyhow::Result<T> {
    let value = text(row, col)?;
    value
        .parse()
        .map_err(|_| anyhow!("column {col} holds a malformed id"))
}

/// A coded column, through the domain's parser.
pub fn code<T>(
    row: &DbRow,
    col: &str,
    parse: impl Fn(&str) -> Result<T, app::domain::Problem>,
) -> anyhow::Result<T> {
    let value = text(row, col)?;
    parse(&value).map_err(|_| anyhow!("column {col} holds an unknown code {value:?}"))
}

/// A count or number kept as an integer column (stored as 64 bits on every database).
pub fn number(row: &DbRow, col: &str) -> anyhow::Result<u32> {
    let value: i64 = row
        .try_get(col)
        .with_context(|| format!("reading column {col}"))?;
    u32::try_from(value).with_context(|| format!("column {col} holds {value}"))
}

/// A time column.
pub fn time(row: &DbRow, col: &str) -> anyhow::Result<DateTime<Utc>> {
    row.try_get::<crate::db::Stamp, _>(col)
        .map(crate::db::Stamp::time)
        .with_context(|| format!("reading the time column {col}"))
}

/// A staff member selected with [`STAFF_COLS`].
pub fn staff_ref(row: &DbRow) -> anyhow::Result<StaffRef> {
    let home: String = text(row, "home_agency_id")?;
    let acts: String = text(row, "acts_for_agency_id")?;
    Ok(StaffRef {
        id: id(row, "staff_id")?,
        display_name: text(row, "display_name")?,
        role: code(row, "role", Role::parse)?,
        home_agency: (text(row, "home_ja")?, text(row, "home_en")?),
        acts_for: if home == acts {
            None
        } else {
            Some((text(row, "acts_ja")?, text(row, "acts_en")?))
        },
        acting_agency: acts.parse().ok(),
    })
}
