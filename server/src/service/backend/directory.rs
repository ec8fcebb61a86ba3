//! The hubs' directory as its administrator keeps it: a business's listing added, edited or
//! retired. Every change takes the reference data's next version, which the next pull names,
//! so devices fetch the reference data again; each is audited in its own transaction.

use super::super::audit::Action;
use super::super::Conn;
use super::accounts::{admin_only, audited, still_admin};
use super::OrInternal;
use crate::db::Stamp;
use app::api::{AppError, Viewer};
use app::domain::{AgencyId, AgencyKind, FieldError, HubFunction, ListingEdit, Problem};

/// Adds a business's listing, or changes one (its name, hub, functions, offer, hours and
/// number): administrators only. Bad input is refused on its field and nothing is written.
/// Answers the business.
pub async fn save(
    service: &super::Service,
    viewer: &Viewer,
    asked: ListingEdit,
) -> Result<AgencyId, AppError> {
    admin_only(viewer)?;
    let listing = asked.checked().map_err(AppError::Invalid)?;
    let hub = listing.hub.ok_or(AppError::Invalid(vec![]))?;
    let _turn = service.write_turn().await;
    let mut tx = super::super::writes::begin(service.db())
        .await
        .or_internal("starting a directory change")?;
    still_admin(&mut tx, viewer).await?;
    if kind_of(&mut tx, hub).await? != Some(AgencyKind::LifeSupportHub) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "hub",
            Problem::UnknownChoice,
        )]));
    }
    let business = match listing.business {
        Some(business) => {
            if kind_of(&mut tx, business).await? != Some(AgencyKind::CooperatingBusiness) {
                return Err(AppError::NotFound);
            }
            sqlx::query("UPDATE agencies SET name_ja = $1, name_en = $1 WHERE id = $2")
                .bind(&listing.name)
                .bind(business.to_string())
                .execute(&mut *tx)
                .await
                .or_internal("renaming a business")?;
            business
        }
        None => {
            let business = AgencyId(uuid::Uuid::new_v4());
            sqlx::query(
                "INSERT INTO agencies (id, kind, name_ja, name_en, parent_id) VALUES ($1, $2, $3, $3, $4)",
            )
            .bind(business.to_string())
            .bind(AgencyKind::CooperatingBusiness.code())
            .bind(&listing.name)
            .bind(hub.to_string())
            .execute(&mut *tx)
            .await
            .or_internal("adding a business")?;
            business
        }
    };
    super::reference::touched(&mut tx).await?;
    if let Some(before) = listing.listed_under.filter(|h| *h != hub) {
        retire_rows(&mut tx, business, before).await?;
    }
    for function in HubFunction::ALL {
        if listing.functions.contains(function) {
            sqlx::query(
                "INSERT INTO directory_entries (business_id, hub_id, function, phone, offers, hours) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (business_id, hub_id, function) DO UPDATE SET phone = $4, offers = $5, \
                   hours = $6, retired_at = NULL",
            )
            .bind(business.to_string())
            .bind(hub.to_string())
            .bind(function.code())
            .bind(&listing.phone)
            .bind(&listing.offers)
            .bind(&listing.hours)
            .execute(&mut *tx)
            .await
            .or_internal("writing a listing")?;
        } else {
            sqlx::query(
                "UPDATE directory_entries SET retired_at = $1 \
                 WHERE business_id = $2 AND hub_id = $3 AND function = $4 AND retired_at IS NULL",
            )
            .bind(Stamp::now())
            .bind(business.to_string())
            .bind(hub.to_string())
            .bind(function.code())
            .execute(&mut *tx)
            .await
            .or_internal("taking a function off a listing")?;
        }
    }
    audited(&mut tx, viewer, Action::EditListing, business.to_string()).await?;
    tx.commit().await.or_internal("committing a listing")?;
    Ok(business)
}

/// Retires a business's listing under a hub: it is no longer shown, and a case that was
/// suggested it still names it. Administrators only; a listing not shown is not found.
pub async fn retire(
    service: &super::Service,
    viewer: &Viewer,
    business: AgencyId,
    hub: AgencyId,
) -> Result<(), AppError> {
    admin_only(viewer)?;
    let _turn = service.write_turn().await;
    let mut tx = super::super::writes::begin(service.db())
        .await
        .or_internal("starting a retirement")?;
    still_admin(&mut tx, viewer).await?;
    super::reference::touched(&mut tx).await?;
    if retire_rows(&mut tx, business, hub).await? == 0 {
        return Err(AppError::NotFound);
    }
    audited(&mut tx, viewer, Action::RetireListing, business.to_string()).await?;
    tx.commit().await.or_internal("committing a retirement")
}

async fn kind_of(tx: &mut Conn, agency: AgencyId) -> Result<Option<AgencyKind>, AppError> {
    let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM agencies WHERE id = $1")
        .bind(agency.to_string())
        .fetch_optional(&mut *tx)
        .await
        .or_internal("finding an agency")?;
    Ok(kind.and_then(|k| AgencyKind::parse(&k).ok()))
}

async fn retire_rows(tx: &mut Conn, business: AgencyId, hub: AgencyId) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "UPDATE directory_entries SET retired_at = $1 \
         WHERE business_id = $2 AND hub_id = $3 AND retired_at IS NULL",
    )
    .bind(Stamp::now())
    .bind(business.to_string())
    .bind(hub.to_string())
    .execute(&mut *tx)
    .await
    .or_internal("retiring a listing")?
    .rows_affected())
}
