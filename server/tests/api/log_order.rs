//! The change log under concurrent writers: a change whose sequence number is taken but not
//! committed can never be passed by a pull, whichever server process writes it.

use crate::helpers::spawn_app;
use crate::sync::{new_note, pull_all, pull_once};
use app::sync::{ClientId, Replica};
use chrono::Utc;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[tokio::test]
async fn a_pull_never_passes_a_change_still_being_written() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let case = app.case_of_visit(&visit).await;
    // Her phone writes; her tablet only reads. Both are up to date.
    let mut phone = Replica::new(ClientId(Uuid::new_v4()));
    let mut tablet = Replica::new(ClientId(Uuid::new_v4()));
    pull_all(&app, &nurse, &mut phone).await;
    pull_all(&app, &nurse, &mut tablet).await;
    phone.record(new_note(&visit, "来週また訪問"), Utc::now());
    let push = phone.push_request().unwrap();

    server::on_db!(app.db, |db, rules| {
        // A: a writer (standing for another server process) that has taken its place in the
        // change log and not committed yet.
        let mut a = rules::writes::begin(db).await.unwrap();
        let a_seq = rules::sync::log::case(&mut a, &case).await.unwrap();

        // B: the phone's push of a note, through the server, meanwhile.
        let b = tokio::spawn({
            let (client, url) = (nurse.clone(), format!("{}/sync/push", app.base));
            async move { client.post(url).json(&push).send().await.unwrap().status() }
        });
        if app.db.kind() == server::db::Kind::Postgres {
            // B waits for the writers' turn, which A holds.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                )
                .fetch_one(db)
                .await
                .unwrap();
                if waiting > 0 {
                    break;
                }
                assert!(Instant::now() < deadline, "the push never queued behind A");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }

        // A pull now returns neither change, and its cursor stays short of A's number.
        let before = pull_once(&app, &nurse, &tablet).await;
        assert!(
            before.cursor < a_seq,
            "the cursor passed a change not yet committed"
        );
        assert!(before.changes.iter().all(|c| c.seq < a_seq));
        assert!(
            !b.is_finished(),
            "B committed while A, ahead of it, was open"
        );
        tablet.on_pull(before);

        a.commit().await.unwrap();
        assert_eq!(b.await.unwrap(), StatusCode::OK);

        // The next pull from that cursor returns A's change, then B's note after it.
        let after = pull_once(&app, &nurse, &tablet).await;
        let a_change = after
            .changes
            .iter()
            .find(|c| c.seq == a_seq)
            .expect("A's change reaches the device");
        assert_eq!(
            (a_change.entity(), a_change.entity_id.as_str()),
            ("case", case.as_str())
        );
        let note = after
            .changes
            .iter()
            .find(|c| c.entity() == "note_revision")
            .expect("B's note reaches the device");
        assert!(note.seq > a_seq, "B's note is ordered after A's change");
    });
}
