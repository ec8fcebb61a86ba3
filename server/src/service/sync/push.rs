//! Push: apply a device's mutations in order, each in its own transaction together with the
//! device's `last_mutation_id`.

use super::super::backend::visits::KnownVisits;
use super::super::backend::Service;
use super::super::Conn;
use super::{apply, decode, internal, Refusal, SignedIn};
use crate::db::Stamp;
use anyhow::Context;
use app::api::Viewer;
use app::domain::VisitId;
use app::sync::{
    DatabaseId, Mutation, MutationOutcome, Op, PushRequest, PushResponse, RejectReason, SyncError,
};

/// How many mutations share one commit.
const COMMIT_GROUP: usize = 50;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;

pub async fn handle(
    State(service): State<Service>,
    SignedIn(viewer): SignedIn,
    body: Bytes,
) -> Result<Json<PushResponse>, Refusal> {
    let request: PushRequest = decode(&body)?;
    app::sync::protocol::check_version(request.protocol_version)?;
    let client = request.client_id.0.to_string();
    let (mut last, database) = last_mutation_id(&service, &client, &viewer).await?;
    same_database(request.database, database, last)?;
    if let Some(skip) = request.skip_to {
        last = skipped_to(&service, &client, last, skip, &request.mutations).await?;
    }
    request.check(last)?;
    let mut outcomes = Vec::with_capacity(request.mutations.len());
    // Outcomes are counted for the metrics once committed.
    let mut counted = 0;
    let fresh: Vec<&Mutation> = request.mutations.iter().filter(|m| m.id > last).collect();
    outcomes.extend(
        request
            .mutations
            .iter()
            .filter(|m| m.id <= last)
            .map(|m| MutationOutcome::Duplicate { id: m.id }),
    );
    // Group commit: a chunk of mutations shares one transaction with the advance of the
    // device's counter, so mutations and their numbers are written together or not at all; each
    // mutation runs in a savepoint, so a refused one is undone alone. A crash loses at most an
    // uncommitted chunk, which the device resends.
    for chunk in fresh.chunks(COMMIT_GROUP) {
        let _turn = service.write_turn().await;
        let mut tx = super::super::writes::begin(service.db())
            .await
            .context("starting a push")
            .map_err(internal("push"))?;
        // Take the write lock first, so that concurrent pushes queue instead of failing.
        let claimed = sqlx::query("UPDATE sync_clients SET last_contact_at = $1 WHERE client_id = $2 AND last_mutation_id = $3")
            .bind(Stamp::now())
            .bind(&client)
            .bind(last as i64)
            .execute(&mut *tx)
            .await
            .context("claiming the device")
            .map_err(internal("push"))?;
        if claimed.rows_affected() != 1 {
            // Another push of the same device got there first: the device resends from here.
            return Err(Refusal(SyncError::Gap {
                resend_from: last + 1,
            }));
        }
        // The rights checks of the group's new notes read their visits in one statement.
        let noted: Vec<VisitId> = chunk
            .iter()
            .filter_map(|m| match m.op {
                Op::CreateNote { visit_id, .. } => Some(visit_id),
                _ => None,
            })
            .collect();
        let mut known = KnownVisits::read(&mut tx, &viewer, &noted)
            .await
            .map_err(|e| internal("push")(anyhow::anyhow!("reading visits: {e:?}")))?;
        for (n, mutation) in chunk.iter().enumerate() {
            // Close the previous mutation's savepoint and open this one's, in one round trip (as
            // plain SQL: PostgreSQL prepares one statement at a time, but runs several unprepared).
            let marks = if n == 0 {
                "SAVEPOINT mutation"
            } else {
                "RELEASE mutation; SAVEPOINT mutation"
            };
            sqlx::Executor::execute(&mut *tx, sqlx::raw_sql(marks))
                .await
                .context("a savepoint")
                .map_err(internal("push"))?;
            let origin = super::super::audit::Origin {
                client_id: client.clone(),
                device_time: Stamp::from(mutation.recorded_at),
            };
            let applied = super::super::audit::from_device(
                origin.clone(),
                apply::apply(&mut tx, &viewer, mutation, &mut known),
            )
            .await;
            let outcome = match applied {
                Ok(outcome) => outcome,
                Err(apply::Failure::Rejected(reason)) => {
                    sqlx::query("ROLLBACK TO mutation")
                        .execute(&mut *tx)
                        .await
                        .context("undoing a mutation")
                        .map_err(internal("push"))?;
                    super::super::audit::from_device(
                        origin,
                        reject(&mut tx, &client, &viewer, mutation, &reason),
                    )
                    .await
                    .map_err(internal("push"))?;
                    MutationOutcome::Rejected {
                        id: mutation.id,
                        reason,
                    }
                }
                // A transient failure: roll back this chunk, keep the counter where it was, and
                // let the device retry; earlier chunks stay committed.
                Err(apply::Failure::Internal(e)) => return Err(internal("push")(e)),
            };
            outcomes.push(outcome);
        }
        // The counter commits with the chunk (and the commit closes the last savepoint): the
        // mutations and their numbers land together.
        let chunk_last = chunk.last().map(|m| m.id).unwrap_or(last);
        sqlx::query("UPDATE sync_clients SET last_mutation_id = $1 WHERE client_id = $2")
            .bind(chunk_last as i64)
            .bind(&client)
            .execute(&mut *tx)
            .await
            .context("advancing the mutation counter")
            .map_err(internal("push"))?;
        tx.commit()
            .await
            .context("committing mutations")
            .map_err(internal("push"))?;
        last = chunk_last;
        outcomes[counted..]
            .iter()
            .for_each(crate::metrics::count_mutation);
        counted = outcomes.len();
    }
    outcomes[counted..]
        .iter()
        .for_each(crate::metrics::count_mutation);
    Ok(Json(PushResponse {
        last_mutation_id: last,
        outcomes,
        database: Some(database),
    }))
}

/// Refuses a device that last synced with another database: this one was restored from a
/// backup since, and may lack what the device sent after it.
pub(super) fn same_database(
    named: Option<DatabaseId>,
    database: DatabaseId,
    last_mutation_id: u64,
) -> Result<(), Refusal> {
    match named {
        Some(named) if named != database => Err(Refusal(SyncError::Restored {
            database,
            last_mutation_id,
        })),
        _ => Ok(()),
    }
}

/// After a restore, a device that no longer holds some of the mutations the restored database
/// lacks asks that they be skipped (never past what it sends now): its counter moves there.
async fn skipped_to(
    service: &Service,
    client: &str,
    last: u64,
    skip: u64,
    sending: &[Mutation],
) -> Result<u64, Refusal> {
    let skip = sending.first().map_or(skip, |m| skip.min(m.id - 1));
    if skip <= last {
        return Ok(last);
    }
    let _turn = service.write_turn().await;
    let moved = super::super::writes::alone(
        service.db(),
        sqlx::query(
            "UPDATE sync_clients SET last_mutation_id = $1 \
             WHERE client_id = $2 AND last_mutation_id = $3",
        )
        .bind(skip as i64)
        .bind(client)
        .bind(last as i64),
    )
    .await
    .context("skipping mutations nobody holds")
    .map_err(internal("push"))?;
    if moved.rows_affected() != 1 {
        // Another push of the device moved the counter first: it resends from there.
        return Err(Refusal(SyncError::Gap {
            resend_from: last + 1,
        }));
    }
    tracing::warn!(
        client,
        from = last + 1,
        to = skip,
        "a device no longer holds mutations a restored database lacks; skipped"
    );
    Ok(skip)
}

/// The device's counter and the database's identity, registering the device to this user on
/// first contact. A device id already registered to someone else is refused.
pub(super) async fn last_mutation_id(
    service: &Service,
    client: &str,
    viewer: &Viewer,
) -> Result<(u64, DatabaseId), Refusal> {
    if let (database, Some(known)) = registered(service, client, viewer).await? {
        return Ok((known, database));
    }
    let _turn = service.write_turn().await;
    super::super::writes::alone(service.db(), sqlx::query("INSERT INTO sync_clients (client_id, staff_id, last_mutation_id, last_contact_at) VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING")
        .bind(client)
        .bind(viewer.id.to_string())
        .bind(Stamp::now())
        )
        .await
        .context("registering a device")
        .map_err(internal("device"))?;
    match registered(service, client, viewer).await? {
        (database, Some(known)) => Ok((known, database)),
        (_, None) => Err(internal("device")(anyhow::anyhow!("a device vanished"))),
    }
}

/// Records a device's contact and what it reports waiting, and says whether the device has
/// been revoked. Writes only when the report changed or a minute has passed, so frequent pulls
/// stay reads.
pub(super) async fn report_contact(
    service: &Service,
    client: &str,
    pending_since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<bool, Refusal> {
    let pending = pending_since.map(Stamp::from);
    let held: Option<(Stamp, Option<Stamp>, bool)> = sqlx::query_as(
        "SELECT last_contact_at, pending_since, revoked_at IS NOT NULL FROM sync_clients \
         WHERE client_id = $1",
    )
    .bind(client)
    .fetch_optional(service.db())
    .await
    .context("reading a device's contact")
    .map_err(internal("device"))?;
    let revoked = held.as_ref().is_some_and(|(.., revoked)| *revoked);
    let a_minute_ago = Stamp::from(chrono::Utc::now() - chrono::Duration::minutes(1));
    let fresh = held
        .as_ref()
        .is_some_and(|(contact, held, _)| *held == pending && *contact > a_minute_ago);
    if fresh {
        return Ok(revoked);
    }
    let _turn = service.write_turn().await;
    super::super::writes::alone(
        service.db(),
        sqlx::query(
            "UPDATE sync_clients SET last_contact_at = $1, pending_since = $2 WHERE client_id = $3",
        )
        .bind(Stamp::now())
        .bind(pending)
        .bind(client),
    )
    .await
    .context("recording a device's contact")
    .map_err(internal("device"))?;
    Ok(revoked)
}

/// The database's identity, and the counter of a device already registered to this user
/// (none for a new device), in one read.
async fn registered(
    service: &Service,
    client: &str,
    viewer: &Viewer,
) -> Result<(DatabaseId, Option<u64>), Refusal> {
    let found: Option<(String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT i.id, c.staff_id, c.last_mutation_id FROM database_identity i \
         LEFT JOIN sync_clients c ON c.client_id = $1",
    )
    .bind(client)
    .fetch_optional(service.db())
    .await
    .context("reading a device")
    .map_err(internal("device"))?;
    let Some((database, owner, last)) = found else {
        // Deleted by a restore under a running server: it gets one at its next start.
        return Err(internal("device")(anyhow::anyhow!(
            "the database has no identity: restart the server"
        )));
    };
    let database = database
        .parse()
        .map(DatabaseId)
        .context("the database's identity")
        .map_err(internal("device"))?;
    match (owner, last) {
        (Some(owner), _) if owner != viewer.id.to_string() => {
            Err(Refusal(SyncError::Unauthenticated))
        }
        (_, last) => Ok((database, last.map(|last| last as u64))),
    }
}

async fn reject(
    conn: &mut Conn,
    client: &str,
    viewer: &Viewer,
    mutation: &Mutation,
    reason: &RejectReason,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO rejected_mutations (client_id, mutation_id, staff_id, reason, body, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .bind(client)
        .bind(mutation.id as i64)
        .bind(viewer.id.to_string())
        .bind(serde_json::to_string(reason)?)
        .bind(serde_json::to_string(mutation)?)
        .bind(Stamp::now())
        .execute(&mut *conn)
        .await
        .context("recording a rejected mutation")?;
    super::super::audit::record(
        conn,
        super::super::audit::Event {
            actor: Some(viewer),
            action: super::super::audit::Action::RejectedMutation,
            case_id: mutation.op.case_id().map(|c| c.to_string()),
            record_id: None,
        },
    )
    .await
}
