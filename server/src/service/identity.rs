//! The database's identity ([`app::sync::DatabaseId`]): made at a server's first start over the
//! database, and made anew at the first start after `server restore`, which deletes it. A device
//! that last synced with another identity is told the database was restored.

use super::Pool;
use anyhow::Context;

/// Gives the database an identity if it has none (several processes may start together: one
/// of them makes it).
pub async fn ensure(pool: &Pool) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO database_identity (singleton, id) VALUES (1, $1) ON CONFLICT DO NOTHING",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .execute(pool)
    .await
    .context("giving the database its identity")?;
    Ok(())
}
