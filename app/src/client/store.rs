//! The device's IndexedDB database. This module alone knows its object stores and their
//! versions; every value goes through [`super::codec`]. Each change a user makes is committed in
//! one IndexedDB transaction together with the counters it moves, before anything says "saved".

use super::codec::{self, open, open_telling, seal, CodecError, Place};
use super::crypto::CryptoError;
use super::keys::Keyring;
use super::DraftOf;
use crate::sync::{Change, Mutation, RejectReason, Replica, Sent};
use rexie::{KeyRange, ObjectStore, Rexie, TransactionMode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// The database's name in the browser.
pub const DB_NAME: &str = "dekapan";

/// The schema, one entry per version: the object stores each version adds. Stores are never
/// renamed or dropped in place; a new version adds what it needs and upgrades keep the data.
pub const SCHEMA: &[&[&str]] = &[
    // 1: the replica: its counters and reference data, pulled records, the outbox, refusals.
    &[META, RECORDS, OUTBOX, REJECTED],
    // 2: note drafts, saved as they are typed.
    &[DRAFTS],
    // 3: the keyring (records are encrypted from this version on).
    &[KEYRING],
    // 4: counters shared by every tab of the app on the device.
    &[COUNTERS],
    // 5: changes the server acknowledged, kept a while to send again after a restore.
    &[SENT],
];

const META: &str = "meta";
const RECORDS: &str = "records";
const OUTBOX: &str = "outbox";
const REJECTED: &str = "rejected";
const DRAFTS: &str = "drafts";
const KEYRING: &str = "keyring";
const COUNTERS: &str = "counters";
const SENT: &str = "sent";

/// The counters key of the next mutation id. It is a plain number (it tells nothing about
/// anyone) so that a transaction can read and move it without waiting on decryption: every
/// tab of the app takes ids under it, and no id is ever given twice on a device.
const NEXT_MUTATION_ID: &str = "next_mutation_id";

/// The meta key of the replica's counters.
const DEVICE: &str = "device";

/// Why the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The browser's database failed (quota, a blocked upgrade, a closed connection, …).
    #[error("device storage: {0}")]
    Browser(String),
    /// A value could not be sealed or opened.
    #[error(transparent)]
    Stored(#[from] CodecError),
    /// [`Store::record`] was given an id that is not the next one: another window of the app
    /// queued changes first. Load again and record anew.
    #[error("another window of the app queued changes first")]
    OutOfTurn,
    /// The device's store has not been opened yet.
    #[error("the device store is not open yet")]
    NotOpen,
    /// The browser aborted the write; nothing of it was kept.
    #[error("the write was aborted")]
    Aborted,
}

impl From<rexie::Error> for StoreError {
    fn from(e: rexie::Error) -> Self {
        StoreError::Browser(e.to_string())
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// An open device database.
pub struct Store {
    db: Rexie,
}

fn record_key(entity: &str, id: &str) -> JsValue {
    JsValue::from_str(&format!("{entity}/{id}"))
}

fn mutation_key(id: u64) -> JsValue {
    JsValue::from_f64(id as f64)
}

fn at<'a>(store: &'a str, key: &'a JsValue) -> Place<'a> {
    Place { store, key }
}

fn device_key() -> JsValue {
    JsValue::from_str(DEVICE)
}

impl Store {
    /// Opens (creating or upgrading) the app's database.
    pub async fn open() -> Result<Store> {
        Self::open_named(DB_NAME, SCHEMA.len() as u32).await
    }

    /// Opens a database by name at a schema version (tests use their own names and older
    /// versions).
    pub async fn open_named(name: &str, version: u32) -> Result<Store> {
        let mut builder = Rexie::builder(name).version(version);
        for stores in SCHEMA.iter().take(version as usize) {
            for store in stores.iter() {
                builder = builder.add_object_store(ObjectStore::new(store));
            }
        }
        Ok(Store {
            db: builder.build().await?,
        })
    }

    /// Closes the database (a new `open` sees everything committed).
    pub fn close(self) {
        self.db.close();
    }

    /// The object stores present.
    pub fn store_names(&self) -> Vec<String> {
        self.db.store_names()
    }

    /// The replica as last committed, or `None` on a new device.
    pub async fn load(&self) -> Result<Option<Replica>> {
        let tx = self.db.transaction(
            &[META, RECORDS, OUTBOX, REJECTED, COUNTERS, SENT],
            TransactionMode::ReadOnly,
        )?;
        let next_id = next_mutation_id(&tx).await?;
        // Read everything raw first: decoding may wait on the browser (decryption), and an
        // IndexedDB transaction closes when left waiting on anything else.
        let header = tx.store(META)?.get(device_key()).await?;
        let outbox = tx.store(OUTBOX)?.scan(None, None, None, None).await?;
        let rejected = tx.store(REJECTED)?.scan(None, None, None, None).await?;
        let records = tx.store(RECORDS)?.scan(None, None, None, None).await?;
        let sent = tx.store(SENT)?.scan(None, None, None, None).await?;
        tx.done().await?;
        let Some(header) = header else {
            return Ok(None);
        };
        let mut replica: Replica = open(header, at(META, &device_key())).await?;
        for (key, value) in outbox {
            replica.outbox.push(open(value, at(OUTBOX, &key)).await?);
        }
        for (key, value) in rejected {
            replica
                .rejected
                .push(open(value, at(REJECTED, &key)).await?);
        }
        let mut unreadable = false;
        for (key, value) in records {
            match open::<Change>(value, at(RECORDS, &key)).await {
                Ok(change) => {
                    replica.records.insert(change.key(), change);
                }
                // A pulled record that opens but that this build cannot read (its shape
                // changed): dropped, and everything pulled again, rather than keeping the
                // device and its outbox shut.
                Err(CodecError::Shape(_)) => unreadable = true,
                Err(e) => return Err(e.into()),
            }
        }
        if unreadable {
            replica.cursor = 0;
        }
        for (key, value) in sent {
            replica.sent.push(open(value, at(SENT, &key)).await?);
        }
        replica.outbox.sort_by_key(|m| m.id);
        replica.sent.sort_by_key(|s| s.mutation.id);
        // Another window may have queued changes since this header was written: the shared
        // counter numbers the next change (a device from before it goes by what it holds).
        match next_id {
            0 => replica.restored(),
            counter => replica.numbered_from(counter),
        }
        Ok(Some(replica))
    }

    /// Stores a new device's counters.
    pub async fn create(&self, replica: &Replica) -> Result<()> {
        self.put_meta(DEVICE, &replica.header()).await
    }

    /// Commits a mutation about to be queued, with the counters (`header`) after it. Ids are
    /// committed in turn, each the one after the last: a mutation whose id is not the next
    /// one (another window of the app queued changes first) fails with [`StoreError::OutOfTurn`] and
    /// writes nothing, so no two changes share an id and no id is skipped. A queued change is
    /// never overwritten. A change written from a draft takes the draft with it in the same
    /// commit, so the draft can never come back beside the change it became (nor go without it).
    pub async fn record(
        &self,
        header: &Replica,
        mutation: &Mutation,
        from_draft: Option<DraftOf>,
    ) -> Result<()> {
        let key = mutation_key(mutation.id);
        let header = seal(header, at(META, &device_key())).await?;
        let value = seal(mutation, at(OUTBOX, &key)).await?;
        let tx = self.db.transaction(
            &[META, OUTBOX, COUNTERS, DRAFTS],
            TransactionMode::ReadWrite,
        )?;
        let next = next_mutation_id(&tx).await?;
        // No counter yet: a device from before it, whose loaded counters are the truth.
        if next != 0 && mutation.id != next {
            tx.abort().await?;
            return Err(StoreError::OutOfTurn);
        }
        tx.store(OUTBOX)?.add(&value, Some(&key)).await?;
        tx.store(COUNTERS)?
            .put(
                &mutation_key(mutation.id + 1),
                Some(&JsValue::from_str(NEXT_MUTATION_ID)),
            )
            .await?;
        tx.store(META)?.put(&header, Some(&device_key())).await?;
        if let Some(draft) = from_draft {
            tx.store(DRAFTS)?
                .delete(JsValue::from_str(&draft.key()))
                .await?;
        }
        committed(tx).await
    }

    /// Commits a push's answer: acknowledged mutations leave the outbox for the kept ones
    /// (`sent`), refused ones are kept with their reason.
    pub async fn pushed(
        &self,
        header: &Replica,
        rejected: &[(Mutation, RejectReason)],
        sent: &[Sent],
    ) -> Result<()> {
        let sealed_header = seal(header, at(META, &device_key())).await?;
        let mut refused = Vec::new();
        for entry in rejected {
            let key = mutation_key(entry.0.id);
            let value = seal(entry, at(REJECTED, &key)).await?;
            refused.push((key, value));
        }
        let kept = sealed_sent(sent).await?;
        let tx = self
            .db
            .transaction(&[META, OUTBOX, REJECTED, SENT], TransactionMode::ReadWrite)?;
        acknowledged(&tx, header.last_mutation_id, &kept, &[]).await?;
        let store = tx.store(REJECTED)?;
        for (key, value) in &refused {
            store.put(value, Some(key)).await?;
        }
        tx.store(META)?
            .put(&sealed_header, Some(&device_key()))
            .await?;
        committed(tx).await
    }

    /// Commits a pull's answer: purged records go, changed ones are written, acknowledged
    /// mutations leave the outbox for the kept ones (`sent`), kept ones past their time
    /// (`expired`) go, and the cursor moves, all at once.
    pub async fn pulled(
        &self,
        header: &Replica,
        purged: &[(String, String)],
        changed: &[Change],
        sent: &[Sent],
        expired: &[u64],
    ) -> Result<()> {
        let sealed_header = seal(header, at(META, &device_key())).await?;
        let mut writes = Vec::with_capacity(changed.len());
        for change in changed {
            let key = record_key(change.entity(), &change.entity_id);
            let value = seal(change, at(RECORDS, &key)).await?;
            writes.push((key, value));
        }
        let kept = sealed_sent(sent).await?;
        let tx = self
            .db
            .transaction(&[META, RECORDS, OUTBOX, SENT], TransactionMode::ReadWrite)?;
        let records = tx.store(RECORDS)?;
        for (entity, id) in purged {
            records.delete(record_key(entity, id)).await?;
        }
        for (key, value) in &writes {
            records.put(value, Some(key)).await?;
        }
        acknowledged(&tx, header.last_mutation_id, &kept, expired).await?;
        tx.store(META)?
            .put(&sealed_header, Some(&device_key()))
            .await?;
        committed(tx).await
    }

    /// Commits what a device does on learning that the server was restored from a backup
    /// ([`Replica::on_restored`]): the kept changes it sends again go back into the outbox
    /// (`outbox`: the whole outbox after it), the pulled records go, and the header (cursor,
    /// database, what to skip) moves, all at once.
    pub async fn restored(&self, header: &Replica, outbox: &[Mutation]) -> Result<()> {
        let sealed_header = seal(header, at(META, &device_key())).await?;
        let mut queued = Vec::with_capacity(outbox.len());
        for mutation in outbox {
            let key = mutation_key(mutation.id);
            queued.push((key.clone(), seal(mutation, at(OUTBOX, &key)).await?));
        }
        let tx = self
            .db
            .transaction(&[META, RECORDS, OUTBOX, SENT], TransactionMode::ReadWrite)?;
        let (waiting, kept) = (tx.store(OUTBOX)?, tx.store(SENT)?);
        for (key, value) in &queued {
            waiting.put(value, Some(key)).await?;
            kept.delete(key.clone()).await?;
        }
        tx.store(RECORDS)?.clear().await?;
        tx.store(META)?
            .put(&sealed_header, Some(&device_key()))
            .await?;
        committed(tx).await
    }

    /// A value kept beside the replica (the signed-in user, reference data, last sync time).
    pub async fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get(META, JsValue::from_str(key)).await
    }

    /// Keeps a value beside the replica.
    pub async fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.put(META, JsValue::from_str(key), value).await
    }

    /// A draft: text being typed and not yet recorded ([`DraftOf`] says of what).
    pub async fn draft<T: DeserializeOwned>(&self, of: DraftOf) -> Result<Option<T>> {
        self.get(DRAFTS, JsValue::from_str(&of.key())).await
    }

    /// Saves a draft.
    pub async fn put_draft<T: Serialize>(&self, of: DraftOf, draft: &T) -> Result<()> {
        self.put(DRAFTS, JsValue::from_str(&of.key()), draft).await
    }

    /// Forgets a draft once what it held is committed to the outbox.
    pub async fn drop_draft(&self, of: DraftOf) -> Result<()> {
        let tx = self.db.transaction(&[DRAFTS], TransactionMode::ReadWrite)?;
        tx.store(DRAFTS)?
            .delete(JsValue::from_str(&of.key()))
            .await?;
        committed(tx).await
    }

    /// The keyring, if the device has one. It is the one value stored unencrypted.
    pub async fn keyring(&self) -> Result<Option<Keyring>> {
        let tx = self.db.transaction(&[KEYRING], TransactionMode::ReadOnly)?;
        let found = tx.store(KEYRING)?.get(JsValue::from_str(KEYRING)).await?;
        tx.done().await?;
        found
            .and_then(|v| v.as_string())
            .map(|text| {
                serde_json::from_slice(text.as_bytes())
                    .map_err(|e| CodecError::Shape(e.to_string()).into())
            })
            .transpose()
    }

    /// Keeps the keyring.
    pub async fn put_keyring(&self, keyring: &Keyring) -> Result<()> {
        let text = serde_json::to_string(keyring).map_err(|e| CodecError::Shape(e.to_string()))?;
        let tx = self
            .db
            .transaction(&[KEYRING], TransactionMode::ReadWrite)?;
        tx.store(KEYRING)?
            .put(&JsValue::from_str(&text), Some(&JsValue::from_str(KEYRING)))
            .await?;
        committed(tx).await
    }

    /// How many changes wait in the outbox; readable while locked (the keys are numbers).
    pub async fn outbox_len(&self) -> Result<u32> {
        self.count(OUTBOX).await
    }

    /// How many drafts are kept; readable while locked (the keys are ids).
    pub async fn drafts_len(&self) -> Result<u32> {
        self.count(DRAFTS).await
    }

    async fn count(&self, name: &str) -> Result<u32> {
        let tx = self.db.transaction(&[name], TransactionMode::ReadOnly)?;
        let count = tx.store(name)?.count(None).await?;
        tx.done().await?;
        Ok(count)
    }

    /// The device's keyring in the current format, or `None` when `passphrase` does not open
    /// it. A keyring of an older format has every legacy value sealed again in its place
    /// first (with its own data key), then is renewed with the same grant and kept: until that
    /// last write the old keyring stays, so an interrupted migration resumes at the next
    /// unlock. Leaves the device locked.
    pub async fn current_keyring(
        &self,
        ring: Keyring,
        passphrase: &str,
    ) -> Result<Option<Keyring>> {
        if !ring.holds_legacy_records() {
            return Ok(Some(ring));
        }
        let key = match ring.open(passphrase).await {
            Ok(key) => key,
            Err(CryptoError::CannotOpen) => return Ok(None),
            Err(e) => return Err(CodecError::Crypto(e.to_string()).into()),
        };
        codec::use_key(Some(key));
        codec::accept_legacy(true);
        let sealed = self.seal_legacy_values().await;
        codec::use_key(None);
        sealed?;
        let (renewed, _) = ring
            .renew(passphrase, ring.grant_ends)
            .await
            .map_err(|e| CodecError::Crypto(e.to_string()))?;
        self.put_keyring(&renewed).await?;
        Ok(Some(renewed))
    }

    /// Seals again, in its place, every value kept from before: plain values from before
    /// records were encrypted, and values sealed before each was bound to its place. A value
    /// that opens neither way fails the migration and stays as it is.
    async fn seal_legacy_values(&self) -> Result<()> {
        for name in [META, RECORDS, OUTBOX, REJECTED, DRAFTS] {
            let tx = self.db.transaction(&[name], TransactionMode::ReadOnly)?;
            let pairs = tx.store(name)?.scan(None, None, None, None).await?;
            tx.done().await?;
            let mut sealed = Vec::new();
            let mut unreadable = Vec::new();
            for (key, value) in pairs {
                let opened = open_telling::<serde_json::Value>(value, at(name, &key)).await;
                match opened {
                    Ok((plain, true)) => {
                        let value = seal(&plain, at(name, &key)).await?;
                        sealed.push((key, value));
                    }
                    Ok((_, false)) => {}
                    // A draft nobody can open any more (written under another key) could
                    // never be shown: it does not hold the device up.
                    Err(_) if name == DRAFTS => unreadable.push(key),
                    Err(e) => return Err(e.into()),
                }
            }
            if sealed.is_empty() && unreadable.is_empty() {
                continue;
            }
            let tx = self.db.transaction(&[name], TransactionMode::ReadWrite)?;
            let store = tx.store(name)?;
            for (key, value) in &sealed {
                store.put(value, Some(key)).await?;
            }
            for key in unreadable {
                store.delete(key).await?;
            }
            committed(tx).await?;
        }
        Ok(())
    }

    /// Erases everything, unless a change waits in the outbox (queued by another window of the
    /// app, or just now): the count and the erasing are one transaction, so nothing committed
    /// unsent is ever erased. Whether it erased.
    pub async fn wipe_unless_waiting(&self) -> Result<bool> {
        let names = self.db.store_names();
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        if tx.store(OUTBOX)?.count(None).await? > 0 {
            tx.done().await?;
            return Ok(false);
        }
        clear_all(tx).await?;
        Ok(true)
    }

    /// Empties every store, the keyring too: the device forgets everything.
    pub async fn wipe(&self) -> Result<()> {
        let names = self.db.store_names();
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        clear_all(tx).await
    }

    async fn get<T: DeserializeOwned>(&self, store: &str, key: JsValue) -> Result<Option<T>> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadOnly)?;
        let found = tx.store(store)?.get(key.clone()).await?;
        tx.done().await?;
        match found {
            Some(value) => Ok(Some(open(value, at(store, &key)).await?)),
            None => Ok(None),
        }
    }

    async fn put<T: Serialize>(&self, store: &str, key: JsValue, value: &T) -> Result<()> {
        let value = seal(value, at(store, &key)).await?;
        let tx = self.db.transaction(&[store], TransactionMode::ReadWrite)?;
        tx.store(store)?.put(&value, Some(&key)).await?;
        committed(tx).await
    }
}

/// The next mutation id no tab has given yet (0 on a device that has given none).
async fn next_mutation_id(tx: &rexie::Transaction) -> Result<u64> {
    let stored = tx
        .store(COUNTERS)?
        .get(JsValue::from_str(NEXT_MUTATION_ID))
        .await?;
    Ok(stored.and_then(|v| v.as_f64()).map_or(0, |n| n as u64))
}

/// Acknowledged mutations, sealed for the store of kept ones.
async fn sealed_sent(sent: &[Sent]) -> Result<Vec<(JsValue, JsValue)>> {
    let mut sealed = Vec::with_capacity(sent.len());
    for entry in sent {
        let key = mutation_key(entry.mutation.id);
        sealed.push((key.clone(), seal(entry, at(SENT, &key)).await?));
    }
    Ok(sealed)
}

/// Mutations up to `last` leave the outbox; those kept (`kept`, sealed) go to the kept ones,
/// and kept ones past their time (`expired`) go.
async fn acknowledged(
    tx: &rexie::Transaction,
    last: u64,
    kept: &[(JsValue, JsValue)],
    expired: &[u64],
) -> Result<()> {
    let outbox = tx.store(OUTBOX)?;
    let range = KeyRange::upper_bound(&mutation_key(last), Some(false))
        .map_err(|e| StoreError::Browser(e.to_string()))?;
    for key in outbox.get_all_keys(Some(range), None).await? {
        outbox.delete(key).await?;
    }
    let sent = tx.store(SENT)?;
    for (key, value) in kept {
        sent.put(value, Some(key)).await?;
    }
    for id in expired {
        sent.delete(mutation_key(*id)).await?;
    }
    Ok(())
}

/// Empties every store `tx` spans, and commits.
async fn clear_all(tx: rexie::Transaction) -> Result<()> {
    for name in tx.store_names() {
        tx.store(&name)?.clear().await?;
    }
    committed(tx).await
}

/// Waits until the transaction is durable; an aborted one is an error.
async fn committed(tx: rexie::Transaction) -> Result<()> {
    match tx.done().await? {
        rexie::TransactionResult::Committed => Ok(()),
        rexie::TransactionResult::Aborted => Err(StoreError::Aborted),
    }
}
