//! The one error type of the server functions. Each variant is something the interface can say
//! to the user in their language; internal failures are logged on the server and reach the user
//! only as [`AppError::Internal`].

use crate::domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Nobody is signed in, or the session has ended.
    #[error("not signed in")]
    Unauthenticated,
    /// The login name or the password is wrong (never says which).
    #[error("wrong login or password")]
    BadCredentials,
    /// The password was right; the code from the authenticator app is needed too.
    #[error("a one-time code is needed")]
    SecondFactorNeeded,
    /// The one-time code (or recovery code) is wrong, stale or used already.
    #[error("wrong one-time code")]
    BadSecondFactor,
    /// Two-step sign-in is required and not set up yet: nothing else until it is.
    #[error("two-step sign-in must be set up first")]
    SecondFactorSetupNeeded,
    /// The passphrase is one an administrator issued: it must be changed first, and nothing
    /// else works until it is.
    #[error("the issued passphrase must be changed first")]
    PassphraseChangeNeeded,
    /// The passphrase is right, but it was issued by an administrator and has expired unused.
    #[error("the issued passphrase has expired")]
    IssuedPassphraseExpired,
    /// Sign-in for this login is paused after repeated failures.
    #[error("sign-in paused for {minutes} minutes")]
    LoginPaused {
        /// Whole minutes until it may be tried again.
        minutes: u32,
    },
    /// The record does not exist, or the user may not know that it exists.
    #[error("not found")]
    NotFound,
    /// The user may see the record but not do this to it.
    #[error("not allowed")]
    Forbidden,
    /// The input has problems; each names its field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Something failed on the server; details are in the server's log only.
    #[error("server error")]
    Internal,
    /// The call did not reach the server or its answer could not be read.
    #[error("network: {0}")]
    Network(String),
}

impl AppError {
    /// The HTTP status that goes with the error.
    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthenticated
            | AppError::BadCredentials
            | AppError::SecondFactorNeeded
            | AppError::BadSecondFactor
            | AppError::IssuedPassphraseExpired => StatusCode::UNAUTHORIZED,
            AppError::LoginPaused { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden
            | AppError::SecondFactorSetupNeeded
            | AppError::PassphraseChangeNeeded => StatusCode::FORBIDDEN,
            AppError::Invalid(_) | AppError::Network(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem reported for one field, if any.
    pub fn field(&self, name: &str) -> Option<&FieldError> {
        match self {
            AppError::Invalid(errors) => errors.iter().find(|e| e.field == name),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            // Arguments that do not decode are the caller's mistake, not a network failure.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::Invalid(Vec::new())
            }
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::Response(_) => AppError::Internal,
            other => AppError::Network(other.to_string()),
        };
        // On the server this runs while answering a request whose arguments did not decode:
        // answer with the matching status rather than a generic 500.
        #[cfg(feature = "ssr")]
        let error = super::ssr::status(error);
        error
    }
}
