//! The server's settings, read once at start from environment variables. Every setting has a
//! default, so the app runs on an embedded SQLite file with no configuration at all.

use std::net::SocketAddr;
use std::time::Duration;

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable is set to something that cannot be used.
    #[error("{name} is set to {value:?}: {why}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What it was set to.
        value: String,
        /// What is expected.
        why: &'static str,
    },
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line, for log collectors.
    Json,
    /// Readable lines, for a terminal.
    Pretty,
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database is: `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`
    /// (`DEKAPAN_DATABASE_URL`).
    pub database_url: String,
    /// How long to keep trying a PostgreSQL server that does not answer at start
    /// (`DEKAPAN_DATABASE_WAIT_SECONDS`, default 30).
    pub database_wait: Duration,
    /// Connections this process keeps to PostgreSQL at most (`DEKAPAN_DATABASE_CONNECTIONS`,
    /// default 10): mind the server's `max_connections` across every process.
    pub database_connections: u32,
    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish before the process
    /// stops anyway (`DEKAPAN_SHUTDOWN_GRACE_SECONDS`, default 30).
    pub shutdown_grace: Duration,
    /// Address to listen on (`DEKAPAN_ADDR`, else `LEPTOS_SITE_ADDR`, else `127.0.0.1:3000`).
    pub addr: SocketAddr,
    /// Where `/metrics` is served, apart from the public address and without sign-in
    /// (`DEKAPAN_METRICS_ADDR`, such as `127.0.0.1:9100`); none when unset.
    pub metrics_addr: Option<SocketAddr>,
    /// Whether to load the demo data when it is missing (`DEKAPAN_DEMO_DATA`, default true).
    pub demo_data: bool,
    /// A session ends after this long without use (`DEKAPAN_SESSION_IDLE_MINUTES`, default 120).
    pub session_idle: Duration,
    /// A session ends this long after sign-in whatever happens (`DEKAPAN_SESSION_MAX_HOURS`, 12).
    pub session_max: Duration,
    /// Marks cookies `Secure`; on when the app is served over HTTPS (`DEKAPAN_PUBLIC_URL`
    /// starting with `https://`, or `DEKAPAN_SECURE_COOKIES=true`).
    pub secure_cookies: bool,
    /// Log format (`DEKAPAN_LOG_FORMAT=json|pretty`, default pretty).
    pub log_format: LogFormat,
    /// How devices guard their data: minutes without use before they lock
    /// (`DEKAPAN_DEVICE_IDLE_LOCK_MINUTES`, default 5) and hours an online sign-in lets the
    /// passphrase open them offline (`DEKAPAN_OFFLINE_GRANT_HOURS`, default 72).
    /// Whether every account must set up two-step sign-in before doing anything else
    /// (`DEKAPAN_REQUIRE_SECOND_FACTOR`, default false so that the demo signs in with a password).
    pub second_factor_required: bool,
    pub device_policy: app::domain::device::DevicePolicy,
    /// Days a device keeps the changes the server acknowledged, to send them again should the
    /// database be restored from a backup that lacks them (`DEKAPAN_DEVICE_KEEPS_SENT_DAYS`,
    /// default 14): at least the age of the oldest backup one would restore.
    pub keep_sent_days: u32,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, so that tests need not touch the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = lookup("DEKAPAN_DATABASE_URL")
            .unwrap_or_else(|| "sqlite://data/dekapan.sqlite?mode=rwc".to_owned());
        if crate::db::Kind::of_url(&database_url).is_none() {
            return Err(ConfigError::Invalid {
                name: "DEKAPAN_DATABASE_URL",
                // It may hold a password.
                value: database_url
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                why: "expected a sqlite: or postgres:// URL",
            });
        }
        let metrics_addr = match lookup("DEKAPAN_METRICS_ADDR") {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| ConfigError::Invalid {
                name: "DEKAPAN_METRICS_ADDR",
                value: text.clone(),
                why: "expected host:port, such as 127.0.0.1:9100",
            })?),
        };
        let addr_text = lookup("DEKAPAN_ADDR")
            .or_else(|| lookup("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let addr = addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "DEKAPAN_ADDR",
            value: addr_text.clone(),
            why: "expected host:port, such as 127.0.0.1:3000",
        })?;
        let https = lookup("DEKAPAN_PUBLIC_URL").is_some_and(|u| u.starts_with("https://"));
        Ok(Self {
            database_url,
            database_wait: Duration::from_secs(match lookup("DEKAPAN_DATABASE_WAIT_SECONDS") {
                Some(_) => number(&lookup, "DEKAPAN_DATABASE_WAIT_SECONDS", 30)?,
                None => 30,
            }),
            database_connections: small_number(&lookup, "DEKAPAN_DATABASE_CONNECTIONS", 10)?,
            shutdown_grace: Duration::from_secs(number(
                &lookup,
                "DEKAPAN_SHUTDOWN_GRACE_SECONDS",
                30,
            )?),
            addr,
            metrics_addr,
            demo_data: flag(&lookup, "DEKAPAN_DEMO_DATA", true)?,
            session_idle: Duration::from_secs(
                60 * number(&lookup, "DEKAPAN_SESSION_IDLE_MINUTES", 120)?,
            ),
            session_max: Duration::from_secs(
                3600 * number(&lookup, "DEKAPAN_SESSION_MAX_HOURS", 12)?,
            ),
            secure_cookies: https || flag(&lookup, "DEKAPAN_SECURE_COOKIES", false)?,
            second_factor_required: flag(&lookup, "DEKAPAN_REQUIRE_SECOND_FACTOR", false)?,
            device_policy: app::domain::device::DevicePolicy {
                idle_lock_minutes: small_number(&lookup, "DEKAPAN_DEVICE_IDLE_LOCK_MINUTES", 5)?,
                offline_grant_hours: small_number(&lookup, "DEKAPAN_OFFLINE_GRANT_HOURS", 72)?,
            },
            keep_sent_days: small_number(
                &lookup,
                "DEKAPAN_DEVICE_KEEPS_SENT_DAYS",
                app::sync::KEEP_SENT_DAYS,
            )?,
            log_format: match lookup("DEKAPAN_LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "DEKAPAN_LOG_FORMAT",
                        value: other.to_owned(),
                        why: "expected json or pretty",
                    })
                }
            },
        })
    }
}

fn flag(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match lookup(name).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes") => Ok(true),
        Some("0" | "false" | "no") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            name,
            value: other.to_owned(),
            why: "expected true or false",
        }),
    }
}

fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match lookup(name) {
        None => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::Invalid {
                name,
                value: text,
                why: "expected a whole number above zero",
            }),
        },
    }
}

fn small_number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    let n = number(lookup, name, u64::from(default))?;
    u32::try_from(n).map_err(|_| ConfigError::Invalid {
        name,
        value: n.to_string(),
        why: "too large",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_runs_on_the_embedded_default() {
        let config = with(&[]).unwrap();
        assert!(config.database_url.starts_with("sqlite://"));
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert!(config.demo_data);
        assert!(!config.secure_cookies);
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let config = with(&[("DEKAPAN_PUBLIC_URL", "https://dekapan.example")]).unwrap();
        assert!(config.secure_cookies);
    }

    #[test]
    fn bad_values_are_named_in_the_error() {
        let err = with(&[("DEKAPAN_SESSION_IDLE_MINUTES", "soon")]).unwrap_err();
        assert!(err.to_string().contains("DEKAPAN_SESSION_IDLE_MINUTES"));
        assert!(with(&[("DEKAPAN_ADDR", "port 3000")]).is_err());
        assert!(with(&[("DEKAPAN_DEMO_DATA", "maybe")]).is_err());
    }

    #[test]
    fn postgres_is_accepted_and_a_password_never_shown() {
        let url = "postgres://dekapan:s3cret@db.example/dekapan";
        assert_eq!(
            with(&[("DEKAPAN_DATABASE_URL", url)]).unwrap().database_url,
            url
        );
        let err = with(&[("DEKAPAN_DATABASE_URL", "mysql://u:s3cret@h/db")]).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
