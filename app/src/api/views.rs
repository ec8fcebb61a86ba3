//! What the server functions send and receive: views shaped for one screen each.

use crate::domain::{CaseSummary, OutreachNote, Program, Role, StaffId, Visit};
use serde::{Deserialize, Serialize};

/// The signed-in user, as the interface needs to know them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Staff id.
    pub id: StaffId,
    /// Name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Home agency name (ja, en).
    pub home_agency: (String, String),
    /// Acting agency name (ja, en), when it differs from the home agency.
    pub acts_for: Option<(String, String)>,
    /// The program a supervisor oversees.
    pub supervises: Option<Program>,
    /// Two-step sign-in is required and this user has not set it up yet: until they do, they
    /// may do nothing else.
    #[serde(default)]
    pub must_set_up_second_factor: bool,
    /// The passphrase is one an administrator issued: until its owner changes it, they may do
    /// nothing else.
    #[serde(default)]
    pub must_change_passphrase: bool,
}

impl Viewer {
    /// The program this user oversees as its supervisor (see
    /// [`crate::domain::access::supervised_program`]).
    pub fn supervised_program(&self) -> Option<Program> {
        crate::domain::access::supervised_program(self.role, self.supervises)
    }

    /// Whether the user must first settle their sign-in on `/security` (change a passphrase an
    /// administrator issued, set up a required second factor): until then nothing else works,
    /// nothing syncs, and the app keeps them there.
    pub fn settles_sign_in_first(&self) -> bool {
        self.must_change_passphrase || self.must_set_up_second_factor
    }

    /// The page of the user's own work, first in their navigation.
    pub fn home(&self) -> Home {
        if self.role.is_supervisor() {
            Home::Review
        } else if crate::domain::access::manages_accounts(self.role) {
            Home::Accounts
        } else {
            Home::Visits
        }
    }

    /// Where the user starts after signing in: their [`Self::home`], once two-step sign-in is
    /// set up where it is required.
    pub fn start_page(&self) -> &'static str {
        if self.must_set_up_second_factor {
            "/security"
        } else {
            self.home().path()
        }
    }
}

/// The page of a user's own work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// Field staff: their visits.
    Visits,
    /// Supervisors: the review queue.
    Review,
    /// Administrators: the staff accounts.
    Accounts,
}

impl Home {
    /// The page's path.
    pub fn path(self) -> &'static str {
        match self {
            Home::Visits => "/visits",
            Home::Review => "/review",
            Home::Accounts => "/admin",
        }
    }
}

/// A visit with the case summary and the case's notes, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitDetail {
    /// The visit.
    pub visit: Visit,
    /// The case visited.
    pub case: CaseSummary,
    /// Earlier notes on the case, newest first.
    pub notes: Vec<OutreachNote>,
    /// Supervisors' decisions on those notes, oldest first, so each shows where it stands.
    pub reviews: Vec<crate::domain::review::Review>,
}

/// A device as its supervisor watches it sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHealth {
    /// The device's id.
    pub client_id: String,
    /// Its user.
    pub staff: String,
    /// The agency they act for (ja, en).
    pub agency: (String, String),
    /// When it last reached the server.
    pub last_contact_at: chrono::DateTime<chrono::Utc>,
    /// When its oldest unsent change was made, as it last reported (none: nothing waiting).
    pub pending_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether it has been revoked.
    pub revoked: bool,
}

/// A staff account as its administrator manages it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    /// Staff id.
    pub id: StaffId,
    /// Login name.
    pub login: String,
    /// Name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The agency they act for (ja, en).
    pub agency: (String, String),
    /// Whether the account is disabled (no sign-in, no session).
    pub disabled: bool,
    /// Whether two-step sign-in is set up.
    pub second_factor: bool,
    /// Their devices, as a supervisor watches them sync.
    pub devices: Vec<DeviceHealth>,
}

/// A passphrase an administrator issued (a new account's first one, or one issued again for a
/// forgotten one): shown once to the administrator, who hands it over; its owner must change it
/// before anything else, within [`crate::domain::signin::ISSUED_PASSPHRASE_HOURS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedPassphrase {
    /// Staff id.
    pub id: StaffId,
    /// Login name.
    pub login: String,
    /// Name.
    pub display_name: String,
    /// The passphrase (kept nowhere but in its hash).
    pub passphrase: String,
}

/// A second factor being set up: the secret for the authenticator app, typed or scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorSetup {
    /// The secret, base32.
    pub secret: String,
    /// The `otpauth://` address holding it.
    pub uri: String,
}

/// One event of the audit log about a case of the supervisor's program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the server recorded it (UTC).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who acted (their name), when known.
    pub actor: Option<String>,
    /// Their role's code, when known.
    pub role: Option<String>,
    /// What happened (the action's code, such as `create_note`).
    pub action: String,
    /// The case's pseudonym.
    pub pseudonym: Option<String>,
    /// The record (a visit or note id), when there is one.
    pub record_id: Option<String>,
    /// `ok`, or `denied` for a refusal.
    pub outcome: String,
    /// The device a synced change came from.
    pub client_id: Option<String>,
    /// The device's clock when the change was made (offline, perhaps long before `at`).
    pub device_time: Option<chrono::DateTime<chrono::Utc>>,
    /// For a break-glass opening, the reason given.
    pub reason: Option<String>,
}
