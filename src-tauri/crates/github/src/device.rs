//! Desktop sign-in with GitHub's OAuth device flow. The flow lives on the web host
//! (`https://github.com`, or the simulator's URL), not on the API host.

use std::time::Duration;

use http::header::ACCEPT;
use octocrab::Octocrab;
use octocrab::auth::DeviceCodes;
use octocrab::secrecy::SecretString;
use serde_json::{Value, json};

use crate::{GithubError, GithubToken};

/// A sign-in in progress: show [`user_code`](Self::user_code) and
/// [`verification_uri`](Self::verification_uri), then [`wait`](Self::wait).
pub struct DeviceLogin {
    crab: Octocrab,
    client_id: SecretString,
    codes: DeviceCodes,
}

/// Starts the device flow for the OAuth app `client_id` with the given scopes.
pub async fn start_device_login(
    web_base: &str,
    client_id: &str,
    scopes: &[&str],
) -> Result<DeviceLogin, GithubError> {
    let crab = Octocrab::builder()
        .base_uri(web_base)
        .map_err(|source| GithubError::BaseUrl {
            url: web_base.to_owned(),
            source,
        })?
        // github.com answers form-encoded unless asked for JSON.
        .add_header(ACCEPT, "application/json".to_owned())
        .build()?;
    let client_id = SecretString::from(client_id.to_owned());
    let codes = crab.authenticate_as_device(&client_id, scopes).await?;
    Ok(DeviceLogin {
        crab,
        client_id,
        codes,
    })
}

impl DeviceLogin {
    pub fn user_code(&self) -> &str {
        &self.codes.user_code
    }

    pub fn verification_uri(&self) -> &str {
        &self.codes.verification_uri
    }

    /// Polls at the interval GitHub asks for (slowing down when told to) until the person
    /// authorizes, denies, or the code expires. octocrab's own poller treats a denial or expiry
    /// as an undecodable answer; this one reports them as such.
    pub async fn wait(self) -> Result<GithubToken, GithubError> {
        use octocrab::secrecy::ExposeSecret;
        let mut interval = self.codes.interval.max(1);
        loop {
            tokio::time::sleep(Duration::from_secs(interval)).await;
            let answer: Value = self
                .crab
                .post(
                    "/login/oauth/access_token",
                    Some(&json!({
                        "client_id": self.client_id.expose_secret(),
                        "device_code": self.codes.device_code,
                        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                    })),
                )
                .await?;
            if let Some(token) = answer.get("access_token").and_then(Value::as_str) {
                return Ok(GithubToken::new(token));
            }
            match answer.get("error").and_then(Value::as_str) {
                Some("authorization_pending") => {}
                Some("slow_down") => {
                    interval = answer
                        .get("interval")
                        .and_then(Value::as_u64)
                        .unwrap_or(interval + 5);
                }
                Some("access_denied") => {
                    return Err(GithubError::Device {
                        reason: "the sign-in was cancelled in the browser".into(),
                    });
                }
                Some("expired_token") => {
                    return Err(GithubError::Device {
                        reason: "the code expired before it was entered; start again".into(),
                    });
                }
                other => {
                    return Err(GithubError::Device {
                        reason: format!("GitHub answered {}", other.unwrap_or("without a token")),
                    });
                }
            }
        }
    }
}
