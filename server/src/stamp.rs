//! A moment as the database keeps it. PostgreSQL holds it as `TIMESTAMPTZ`; SQLite has no time
//! type, so there it is RFC 3339 text in UTC (`2026-12-02T09:30:00Z`), whose text order is time
//! order. Both hold whole seconds, so every rule that compares two moments (the later edit wins)
//! decides the same way on either database.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use std::fmt;

/// A moment to the second, bound to and read from either database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(DateTime<Utc>);

impl Stamp {
    /// Now, to the second.
    pub fn now() -> Stamp {
        Stamp::from(Utc::now())
    }

    /// The moment as a chrono time.
    pub fn time(self) -> DateTime<Utc> {
        self.0
    }

    /// Reads the stored text form (also the form on the wire).
    pub fn parse(text: &str) -> Option<Stamp> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Stamp::from(t.with_timezone(&Utc)))
    }
}

impl From<DateTime<Utc>> for Stamp {
    fn from(at: DateTime<Utc>) -> Stamp {
        Stamp(at.trunc_subsecs(0))
    }
}

/// On the wire (the change log, the exports) a moment is its text form.
impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.collect_str(self)
    }
}

/// The text form: what SQLite stores and what the change log and the exports carry.
impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

impl Type<Sqlite> for Stamp {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Stamp {
    fn encode_by_ref(
        &self,
        buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Stamp {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Stamp, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        Stamp::parse(text).ok_or_else(|| format!("{text:?} is not a stored time").into())
    }
}

impl Type<Postgres> for Stamp {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Postgres> for Stamp {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Stamp {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Stamp, BoxDynError> {
        <DateTime<Utc> as Decode<'r, Postgres>>::decode(value).map(Stamp::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_keeps_whole_seconds_in_utc() {
        let stamp = Stamp::parse("2026-12-02T18:30:15.789+09:00").expect("a time");
        assert_eq!(stamp.to_string(), "2026-12-02T09:30:15Z");
        assert_eq!(Stamp::parse(&stamp.to_string()), Some(stamp));
        assert_eq!(Stamp::parse("yesterday"), None);
    }

    #[test]
    fn text_order_is_time_order() {
        let earlier = Stamp::parse("2026-12-02T09:59:59Z").expect("a time");
        let later = Stamp::parse("2026-12-02T10:00:00Z").expect("a time");
        assert!(earlier < later);
        assert!(earlier.to_string() < later.to_string());
    }
}
