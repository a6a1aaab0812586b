//! The OAuth device flow of github.com: a device code is polled for until the person authorizes
//! it in the browser (here: [`GithubWorld::authorize_device`](super::GithubWorld::authorize_device)).
//! Expiry runs on scenario time so tests can step past it; the polling interval is measured in
//! real time because clients pace their polls with real timers.

use std::collections::HashMap;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

use super::world::{WorldError, hex_digest};

pub const EXPIRES_IN_SECS: i64 = 900;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Grant {
    Pending,
    Authorized(String),
    Denied,
    /// The token was handed out; the device code is spent.
    Used,
}

#[derive(Debug, Clone)]
struct Pending {
    user_code: String,
    client_id: String,
    scope: String,
    expires_at: Timestamp,
    last_poll: Option<Instant>,
    interval: u64,
    grant: Grant,
}

#[derive(Debug)]
pub struct DeviceFlows {
    by_device_code: HashMap<String, Pending>,
    issued: u64,
    pub interval: u64,
}

impl Default for DeviceFlows {
    fn default() -> Self {
        Self {
            by_device_code: HashMap::new(),
            issued: 0,
            interval: 5,
        }
    }
}

pub struct Codes {
    pub device_code: String,
    pub user_code: String,
    pub expires_in: i64,
    pub interval: u64,
}

/// What polling `POST /login/oauth/access_token` yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    Token {
        login: String,
        token: String,
        scope: String,
    },
    /// An OAuth error code as github.com names it, with the interval for `slow_down`.
    Error {
        code: &'static str,
        description: &'static str,
        interval: Option<u64>,
    },
}

impl DeviceFlows {
    pub fn start(&mut self, client_id: &str, scope: &str, now: Timestamp) -> Codes {
        self.issued += 1;
        let seed = format!("{client_id}/{scope}/{now}/{}", self.issued);
        let device_code = hex_digest(&[b"device", seed.as_bytes()]);
        let letters: String = hex_digest(&[b"user", seed.as_bytes()])
            .bytes()
            .take(8)
            // User codes use unambiguous uppercase letters and digits.
            .map(|b| (b'B' + (b % 20)) as char)
            .collect();
        let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
        let expires_at = now
            .checked_add(SignedDuration::from_secs(EXPIRES_IN_SECS))
            .unwrap_or(now);
        self.by_device_code.insert(
            device_code.clone(),
            Pending {
                user_code: user_code.clone(),
                client_id: client_id.to_owned(),
                scope: scope.to_owned(),
                expires_at,
                last_poll: None,
                interval: self.interval,
                grant: Grant::Pending,
            },
        );
        Codes {
            device_code,
            user_code,
            expires_in: EXPIRES_IN_SECS,
            interval: self.interval,
        }
    }

    fn by_user_code(&mut self, user_code: &str) -> Result<&mut Pending, WorldError> {
        self.by_device_code
            .values_mut()
            .find(|p| p.user_code.eq_ignore_ascii_case(user_code) && p.grant == Grant::Pending)
            .ok_or_else(|| WorldError::UnknownUserCode(user_code.to_owned()))
    }

    pub fn authorize(&mut self, user_code: &str, login: &str) -> Result<(), WorldError> {
        self.by_user_code(user_code)?.grant = Grant::Authorized(login.to_owned());
        Ok(())
    }

    pub fn deny(&mut self, user_code: &str) -> Result<(), WorldError> {
        self.by_user_code(user_code)?.grant = Grant::Denied;
        Ok(())
    }

    pub fn poll(
        &mut self,
        client_id: &str,
        device_code: &str,
        grant_type: &str,
        now: Timestamp,
    ) -> Poll {
        const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
        let err = |code, description| Poll::Error {
            code,
            description,
            interval: None,
        };
        if grant_type != DEVICE_GRANT {
            return err(
                "unsupported_grant_type",
                "The grant type must be urn:ietf:params:oauth:grant-type:device_code.",
            );
        }
        let issued = self.issued;
        let Some(p) = self.by_device_code.get_mut(device_code) else {
            return err(
                "incorrect_device_code",
                "The device_code provided is not valid.",
            );
        };
        if p.client_id != client_id {
            return err(
                "incorrect_client_credentials",
                "The client_id is not valid.",
            );
        }
        if now >= p.expires_at {
            return err("expired_token", "This 'device_code' has expired.");
        }
        match p.grant.clone() {
            Grant::Denied => err("access_denied", "The authorization request was denied."),
            Grant::Used => err(
                "incorrect_device_code",
                "The device_code provided is not valid.",
            ),
            Grant::Authorized(login) => {
                p.grant = Grant::Used;
                let token = format!(
                    "gho_sim{}",
                    hex_digest(&[device_code.as_bytes(), &issued.to_le_bytes()])
                );
                Poll::Token {
                    login,
                    token,
                    scope: p.scope.clone(),
                }
            }
            Grant::Pending => {
                let polled_too_soon = p
                    .last_poll
                    .is_some_and(|last| last.elapsed().as_secs_f64() + 0.25 < p.interval as f64);
                p.last_poll = Some(Instant::now());
                if polled_too_soon {
                    // github.com adds five seconds to the interval every time a client polls too fast.
                    p.interval += 5;
                    return Poll::Error {
                        code: "slow_down",
                        description: "Too many requests have been made in the same timeframe.",
                        interval: Some(p.interval),
                    };
                }
                err(
                    "authorization_pending",
                    "The authorization request is still pending.",
                )
            }
        }
    }
}
