//! Signing in and out, for the window's Settings and `sluice login`/`logout`: a pasted token,
//! `GH_TOKEN`/`GITHUB_TOKEN` imported into the keychain, GitHub's device flow, or (in the demo)
//! one of the simulated people. Each ends with the live view reading as the new identity.

use std::sync::PoisonError;

use sluice_core::UiError;
use sluice_core::desk::{DeviceCode, SessionInfo};
use sluice_github::GithubToken;
use tokio::sync::oneshot;

use super::{Active, Session, State, not_in_demo};
use crate::credentials::{CredentialError, Persistence, SignedIn};

/// The OAuth client id the simulated GitHub is asked with.
const DEMO_CLIENT_ID: &str = "sluice-demo";

fn device_sign_in_cancelled() -> UiError {
    UiError::new(
        "signin.cancelled",
        "The device sign-in was cancelled.",
        "Start again with “Sign in with GitHub” when you are ready.",
    )
}

impl Session {
    fn persistence(session_only: bool, state: &State) -> Persistence {
        if session_only || state.demo.is_some() {
            Persistence::SessionOnly
        } else {
            Persistence::Keychain
        }
    }

    async fn signed_in(
        &self,
        mut state: tokio::sync::MutexGuard<'_, State>,
        signed: SignedIn,
    ) -> Result<SessionInfo, UiError> {
        let host = self.host(&state)?;
        let (token, _) = self
            .credentials
            .token(&host)
            .await
            .map_err(UiError::from)?
            .ok_or_else(|| {
                UiError::new(
                    "signin.lost",
                    "The token was accepted but could not be read back.",
                    "Sign in again.",
                )
            })?;
        state.active = Some(Active::signed_in(&signed, token));
        state.identity_note = None;
        if state.live.is_some() {
            self.restart_live(&mut state).await?;
        }
        Ok(self.info_of(&mut state))
    }

    fn note_keychain(state: &mut State, e: &CredentialError) {
        if e.is_keychain_unavailable() {
            state.keychain_problem = Some(e.to_string());
        }
    }

    pub async fn sign_in_with_token(
        &self,
        token: GithubToken,
        session_only: bool,
    ) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        let host = self.host(&state)?;
        let persistence = Self::persistence(session_only, &state);
        match crate::credentials::sign_in_with_token(&self.credentials, &host, token, persistence)
            .await
        {
            Ok(signed) => self.signed_in(state, signed).await,
            Err(e) => {
                Self::note_keychain(&mut state, &e);
                Err(e.into())
            }
        }
    }

    pub async fn sign_in_from_environment(
        &self,
        session_only: bool,
    ) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        let host = self.host(&state)?;
        let persistence = Self::persistence(session_only, &state);
        match crate::credentials::sign_in_from_environment(
            &self.credentials,
            &host,
            persistence,
            &*self.environment,
        )
        .await
        {
            Ok(signed) => self.signed_in(state, signed).await,
            Err(e) => {
                Self::note_keychain(&mut state, &e);
                Err(e.into())
            }
        }
    }

    /// Starts the device flow; in the demo, the simulated approver enters the code.
    pub async fn start_device_sign_in(&self) -> Result<DeviceCode, UiError> {
        let state = self.state.lock().await;
        let host = self.host(&state)?;
        let client_id = match (&self.device_client_id, &state.demo) {
            (_, Some(_)) => DEMO_CLIENT_ID.to_owned(),
            (Some(id), None) => id.clone(),
            (None, None) => return Err(CredentialError::NoClientId.into()),
        };
        let flow = crate::credentials::start_device_sign_in(&host, &client_id).await?;
        let code = DeviceCode {
            user_code: flow.user_code().to_owned(),
            verification_uri: flow.verification_uri().to_owned(),
            browser_opened: false,
        };
        if let Some(demo) = &state.demo {
            // The simulated person enters the code at once: no need for five-second polls.
            demo.world.github.set_device_poll_interval(1);
            let approver = &demo.world.person(sluice_sim::Role::Approver).login;
            demo.world
                .github
                .authorize_device(flow.user_code(), approver)
                .map_err(|e| UiError::new("demo.failed", e.to_string(), "Try again."))?;
        }
        let (cancel, cancelled) = oneshot::channel();
        *self.device.lock().unwrap_or_else(PoisonError::into_inner) = Some((flow, cancelled));
        *self
            .device_cancel
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(cancel);
        Ok(code)
    }

    pub async fn finish_device_sign_in(&self, session_only: bool) -> Result<SessionInfo, UiError> {
        let (flow, cancelled) = self
            .device
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| {
                UiError::new(
                    "signin.no-device-flow",
                    "No device sign-in is waiting.",
                    "Start again with “Sign in with GitHub”.",
                )
            })?;
        let persistence = {
            let state = self.state.lock().await;
            Self::persistence(session_only, &state)
        };
        // Waiting for the person must not hold the session: the window stays usable. A cancel
        // sent at any time since the start, even before this wait began, ends it.
        let signed = flow
            .finish_unless(&self.credentials, persistence, async {
                let _ = cancelled.await;
            })
            .await;
        let mut state = self.state.lock().await;
        match signed {
            Ok(Some(signed)) => self.signed_in(state, signed).await,
            Ok(None) => Err(device_sign_in_cancelled()),
            Err(e) => {
                Self::note_keychain(&mut state, &e);
                Err(e.into())
            }
        }
    }

    /// Stops waiting for the device sign-in; its code is no longer asked about.
    pub fn cancel_device_sign_in(&self) {
        if let Some(cancel) = self
            .device_cancel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = cancel.send(());
        }
    }

    pub async fn sign_in_as_demo_person(&self, login: &str) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        let demo = state
            .demo
            .as_ref()
            .ok_or_else(|| not_in_demo("Acting as a simulated person"))?;
        state.active = Some(Active::demo(demo.person(login)?));
        self.restart_live(&mut state).await?;
        Ok(self.info_of(&mut state))
    }

    /// Forgets the kept sign-in for the GitHub host; `false` when there was none. A token in
    /// the environment stays in use: it is not Sluice's to forget.
    pub async fn sign_out(&self) -> Result<(SessionInfo, bool), UiError> {
        let mut state = self.state.lock().await;
        let mut forgotten = false;
        if state.demo.is_none() {
            let host = self.host(&state)?;
            match crate::credentials::sign_out(&self.credentials, &host).await {
                Ok(f) => forgotten = f,
                Err(e) => {
                    Self::note_keychain(&mut state, &e);
                    return Err(e.into());
                }
            }
            self.resolve_identity(&mut state).await?;
        } else {
            state.active = None;
        }
        if state.live.is_some() {
            self.restart_live(&mut state).await?;
        }
        Ok((self.info_of(&mut state), forgotten))
    }
}
