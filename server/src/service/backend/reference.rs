//! The reference data every signed-in device holds: staff, agencies and the hubs' directory,
//! and the version of it that a pull names.

use super::super::{Conn, Pool};
use super::rows::{code, id, staff_ref, text, STAFF_COLS, STAFF_JOIN};
use super::OrInternal;
use app::api::AppError;
use app::domain::{Agency, AgencyKind, DirectoryEntry, HubFunction};
use app::sync::Reference;

/// Loads the reference data. Disabled staff stay, so old notes still name their authors.
pub async fn load(db: &Pool) -> Result<Reference, AppError> {
    let staff = sqlx::query(&format!(
        "SELECT {STAFF_COLS} FROM staff st {STAFF_JOIN} ORDER BY st.display_name"
    ))
    .fetch_all(db)
    .await
    .or_internal("loading staff")?
    .iter()
    .map(staff_ref)
    .collect::<anyhow::Result<Vec<_>>>()
    .or_internal("reading staff")?;
    let agencies = sqlx::query("SELECT id, kind, name_ja, name_en FROM agencies ORDER BY name_ja")
        .fetch_all(db)
        .await
        .or_internal("loading agencies")?
        .iter()
        .map(|row| {
            Ok(Agency {
                id: id(row, "id")?,
                kind: code(row, "kind", AgencyKind::parse)?,
                name_ja: text(row, "name_ja")?,
                name_en: text(row, "name_en")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .or_internal("reading agencies")?;
    let directory = sqlx::query(
        "SELECT d.business_id, a.name_ja, d.hub_id, d.function, d.phone, d.offers, d.hours \
         FROM directory_entries d JOIN agencies a ON a.id = d.business_id \
         WHERE d.retired_at IS NULL ORDER BY d.function, a.name_ja",
    )
    .fetch_all(db)
    .await
    .or_internal("loading the directory")?
    .iter()
    .map(|row| {
        Ok(DirectoryEntry {
            business: id(row, "business_id")?,
            name: text(row, "name_ja")?,
            hub: id(row, "hub_id")?,
            function: code(row, "function", HubFunction::parse)?,
            phone: text(row, "phone")?,
            offers: text(row, "offers")?,
            hours: text(row, "hours")?,
        })
    })
    .collect::<anyhow::Result<Vec<_>>>()
    .or_internal("reading the directory")?;
    let version = version(db)
        .await
        .or_internal("reading the directory's version")?;
    Ok(Reference {
        staff,
        agencies,
        directory,
        version,
    })
}

/// The version of the reference data that a pull names (0 before any change).
pub async fn version<'c>(
    db: impl sqlx::Executor<'c, Database = super::super::Db>,
) -> sqlx::Result<u64> {
    let revision: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(revision), 0) FROM reference_revision")
            .fetch_one(db)
            .await?;
    Ok(revision as u64)
}

/// Gives the reference data its next version, in the transaction of the change to it (an
/// account opened, a listing edited): the time in milliseconds, or one more than the last
/// version when the clock is behind it. Versions only grow, even across a restore from a
/// backup, so a device never holds the number of a version it has not seen.
pub async fn touched(tx: &mut Conn) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO reference_revision (singleton, revision) VALUES (1, $1) \
         ON CONFLICT (singleton) DO UPDATE SET revision = CASE \
           WHEN reference_revision.revision >= $1 THEN reference_revision.revision + 1 \
           ELSE $1 END",
    )
    .bind(chrono::Utc::now().timestamp_millis())
    .execute(&mut *tx)
    .await
    .or_internal("raising the reference data's version")?;
    Ok(())
}
