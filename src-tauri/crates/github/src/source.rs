//! The GitHub source: keeps the console's [`GithubInputs`] current by polling with conditional
//! requests, and publishes them with the source's health on a `watch` channel.
//!
//! GitHub has no push channel a desktop app can subscribe to, so the source polls; every GET
//! carries the ETag of its last answer, so a quiet repository costs no rate limit. Requests go
//! one after another, never concurrently, as GitHub asks of integrations to stay clear of its
//! secondary limits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sluice_core::inputs::{ComparisonInfo, GithubInputs};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::GithubError;
use crate::client::GithubClient;
use crate::reads::{Reads, between_commits, combined};

/// What the console sees of GitHub.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GithubView {
    /// Shared: the console reads the view on every change of any environment.
    pub inputs: Arc<GithubInputs>,
    pub connected: bool,
    /// RFC 3339 (real time) of the last successful poll.
    pub last_event_at: Option<String>,
    /// Readable; never the token.
    pub last_error: Option<String>,
    /// The first full poll is done: `inputs` describe the repository, not a blank.
    pub synced: bool,
    /// What the poll behind `inputs` was asked for beyond the repository (see
    /// [`GithubSource::want`]).
    asked: Wants,
}

impl GithubView {
    /// Whether `inputs` come from a poll that was asked for these comparisons and checks: until
    /// then a gate that needs them would be decided on a blank ("nothing to ship").
    pub fn has_answered(&self, comparisons: &[(String, String)], check_shas: &[String]) -> bool {
        self.synced
            && comparisons
                .iter()
                .all(|c| self.asked.comparisons.contains(c))
            && check_shas.iter().all(|s| self.asked.check_shas.contains(s))
    }
}

/// What the console asks for beyond what every poll reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Wants {
    comparisons: Vec<(String, String)>,
    check_shas: Vec<String>,
}

/// A running GitHub source. Dropping it stops the polling.
pub struct GithubSource {
    view: watch::Receiver<GithubView>,
    wants: watch::Sender<Wants>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for GithubSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubSource").finish_non_exhaustive()
    }
}

impl Drop for GithubSource {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GithubSource {
    /// GitHub's own clients poll about this often; a 304 is free, but each still takes a
    /// request from the secondary limits' budget.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

    /// Starts polling `client`'s repository every `interval` (on the current Tokio runtime).
    /// The source handles rate limits and failures itself, so it polls through a twin of
    /// `client` without octocrab's retries; `client` stays free for the console's writes.
    pub fn start(client: &GithubClient, interval: Duration) -> Result<Self, GithubError> {
        let (view_tx, view) = watch::channel(GithubView::default());
        let (wants, wants_rx) = watch::channel(Wants::default());
        let poller = Poller {
            client: client.without_retries()?,
            interval: interval.max(Duration::from_millis(10)),
            view: view_tx,
            wants: wants_rx,
            viewer: None,
            comparisons: BTreeMap::new(),
            failures: 0,
            limited: 0,
        };
        let task = tokio::spawn(poller.run());
        Ok(Self { view, wants, task })
    }

    /// Follows the view: `changed()` fires when inputs or health change.
    pub fn subscribe(&self) -> watch::Receiver<GithubView> {
        self.view.clone()
    }

    /// The view now.
    pub fn view(&self) -> GithubView {
        self.view.borrow().clone()
    }

    /// Asks for these comparisons (base, head) and these commits' checks from now on, replacing
    /// what was asked before. A new request is polled at once rather than after the interval.
    pub fn want(&self, comparisons: Vec<(String, String)>, check_shas: Vec<String>) {
        let mut next = Wants {
            comparisons,
            check_shas,
        };
        next.comparisons.sort();
        next.comparisons.dedup();
        next.check_shas.sort();
        next.check_shas.dedup();
        self.wants.send_if_modified(|w| {
            let changed = *w != next;
            *w = next;
            changed
        });
    }
}

struct Poller {
    client: GithubClient,
    interval: Duration,
    view: watch::Sender<GithubView>,
    wants: watch::Receiver<Wants>,
    /// The token's login, asked once: it does not change while the token lives.
    viewer: Option<String>,
    /// The last poll's comparisons of two commit ids. What lies between two commits never
    /// changes, so each is asked once while it is wanted, not at every poll, and its body (up to
    /// 250 commits, which a waiting gate reaches) is not kept in the ETag cache.
    comparisons: BTreeMap<(String, String), ComparisonInfo>,
    /// Failed polls in a row (network, 5xx, refusals).
    failures: u32,
    /// Rate-limited polls in a row.
    limited: u32,
}

impl Poller {
    async fn run(mut self) {
        loop {
            let wants = self.wants.borrow_and_update().clone();
            match self.poll(&wants).await {
                Ok(inputs) => {
                    self.failures = 0;
                    self.limited = 0;
                    self.publish(inputs, wants);
                    tokio::select! {
                        () = tokio::time::sleep(self.interval) => {}
                        changed = self.wants.changed() => {
                            // The source is gone (its task is being aborted too).
                            if changed.is_err() {
                                return;
                            }
                        }
                    }
                }
                Err(e) => {
                    let wait = self.backoff(&e);
                    self.report(&e, wait);
                    // Not interruptible by `want`: a backoff that a new question could cut
                    // short would turn into the request storm it exists to prevent.
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One full read of the repository. Any error that is not about a single item stops it:
    /// half-read inputs would show, say, a deployment without its status.
    async fn poll(&mut self, wants: &Wants) -> Result<GithubInputs, GithubError> {
        let mut reads = Reads::new(&self.client);
        if self.viewer.is_none() && self.client.is_authenticated() {
            self.viewer = Some(reads.viewer().await?);
        }
        let commits = reads.commits().await?;
        let mut pull_requests = reads.pull_requests().await?;
        let deployments = reads.deployments().await?;
        let waiting_runs = reads.waiting_runs().await?;
        for pr in pull_requests.iter_mut().filter(|p| p.open) {
            if let Some(checks) = reads.checks(&pr.head_sha).await? {
                pr.checks = combined(&checks);
            }
        }
        let mut checks = BTreeMap::new();
        for sha in &wants.check_shas {
            // A commit GitHub does not know has no checks: recorded as asked, so the gate says
            // "not passed" rather than waiting for an answer that will not come.
            let answer = reads.checks(sha).await?.unwrap_or_default();
            checks.insert(sha.clone(), answer);
        }
        let mut comparisons = BTreeMap::new();
        for (base, head) in &wants.comparisons {
            let pair = (base.clone(), head.clone());
            if let Some(known) = self.comparisons.get(&pair) {
                comparisons.insert(pair, known.clone());
            } else if let Some(c) = reads.compare(base, head).await? {
                comparisons.insert(pair, c);
            }
        }
        self.comparisons = comparisons
            .iter()
            .filter(|((base, head), _)| between_commits(base, head))
            .map(|(pair, c)| (pair.clone(), c.clone()))
            .collect();
        Ok(GithubInputs {
            viewer: self.viewer.clone(),
            commits,
            pull_requests,
            deployments,
            waiting_runs,
            comparisons,
            checks,
            rate_remaining: reads.rate_remaining.map(clamp_u32),
        })
    }

    /// Notifies followers only when something they render changed; the time of the last
    /// successful poll is updated regardless, for whoever looks next.
    fn publish(&self, inputs: GithubInputs, asked: Wants) {
        let now = now_rfc3339();
        self.view.send_if_modified(|v| {
            let changed = *v.inputs != inputs
                || !v.connected
                || v.last_error.is_some()
                || !v.synced
                || v.asked != asked;
            v.inputs = Arc::new(inputs);
            v.asked = asked;
            v.connected = true;
            v.last_error = None;
            v.synced = true;
            v.last_event_at = Some(now);
            changed
        });
    }

    /// Shows the failure and how long the source will wait; the last inputs stay.
    fn report(&self, error: &GithubError, wait: Duration) {
        let message = format!("{}; retrying in {}", readable(error), seconds(wait));
        tracing::warn!(error = %message, "GitHub poll failed");
        let remaining = match error {
            GithubError::RateLimited { remaining, .. } => remaining.map(clamp_u32),
            _ => None,
        };
        self.view.send_if_modified(|v| {
            let mut changed = v.connected || v.last_error.as_deref() != Some(message.as_str());
            v.connected = false;
            v.last_error = Some(message);
            if remaining.is_some() && v.inputs.rate_remaining != remaining {
                Arc::make_mut(&mut v.inputs).rate_remaining = remaining;
                changed = true;
            }
            changed
        });
    }

    /// How long to stay away after `error`.
    fn backoff(&mut self, error: &GithubError) -> Duration {
        if let GithubError::RateLimited {
            retry_after,
            remaining,
            reset,
            ..
        } = error
        {
            self.limited = self.limited.saturating_add(1);
            return rate_limit_wait(*retry_after, *remaining, *reset, unix_now(), self.limited);
        }
        self.failures = self.failures.saturating_add(1);
        failure_wait(self.interval, self.failures)
    }
}

/// GitHub's rules: `retry-after` when given; with the primary limit spent, until
/// `x-ratelimit-reset`; otherwise at least a minute, doubling while limits persist.
fn rate_limit_wait(
    retry_after: Option<u64>,
    remaining: Option<u64>,
    reset: Option<u64>,
    now_unix: u64,
    streak: u32,
) -> Duration {
    // A window is an hour; a reset further out is a skewed clock or a bogus header.
    const LONGEST: u64 = 3600 + 60;
    if let Some(secs) = retry_after {
        return Duration::from_secs(secs.clamp(1, LONGEST));
    }
    if let (Some(0), Some(reset)) = (remaining, reset) {
        // One second past the reset, since the header rounds down to whole seconds.
        return Duration::from_secs(
            reset
                .saturating_sub(now_unix)
                .saturating_add(1)
                .clamp(1, LONGEST),
        );
    }
    let doubling = 60u64.saturating_mul(1 << streak.saturating_sub(1).min(4));
    Duration::from_secs(doubling.min(15 * 60))
}

/// Doubling from the poll interval, up to a minute (or the interval, when longer): quick to
/// notice a network that is back, without hammering one that is not.
fn failure_wait(interval: Duration, failures: u32) -> Duration {
    let cap = interval.max(Duration::from_secs(60));
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    interval.saturating_mul(factor).min(cap)
}

/// The error and its causes on one line (octocrab's transport errors say what failed only in
/// their sources). Nothing in the chain carries request headers, so the token cannot appear.
fn readable(error: &GithubError) -> String {
    sluice_core::error::one_line(error)
}

fn seconds(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        format!("{} s", d.as_secs())
    }
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn now_rfc3339() -> String {
    format!("{:.0}", jiff::Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_wait_as_github_says() {
        assert_eq!(
            rate_limit_wait(Some(7), Some(0), Some(10_000), 1_000, 1),
            Duration::from_secs(7)
        );
        assert_eq!(
            rate_limit_wait(None, Some(0), Some(1_100), 1_000, 1),
            Duration::from_secs(101)
        );
        // A reset already past (clock skew) still waits a moment.
        assert_eq!(
            rate_limit_wait(None, Some(0), Some(900), 1_000, 1),
            Duration::from_secs(1)
        );
        // A secondary limit without retry-after: a minute, doubling.
        assert_eq!(
            rate_limit_wait(None, Some(42), Some(1_100), 1_000, 1),
            Duration::from_secs(60)
        );
        assert_eq!(
            rate_limit_wait(None, None, None, 1_000, 3),
            Duration::from_secs(240)
        );
        assert_eq!(
            rate_limit_wait(None, None, None, 1_000, 30),
            Duration::from_secs(900)
        );
    }

    #[test]
    fn failures_back_off_from_the_interval_up_to_a_minute() {
        let i = Duration::from_millis(100);
        assert_eq!(failure_wait(i, 1), i);
        assert_eq!(failure_wait(i, 4), Duration::from_millis(800));
        assert_eq!(failure_wait(i, 40), Duration::from_secs(60));
        let slow = Duration::from_secs(120);
        assert_eq!(failure_wait(slow, 5), slow);
    }

    #[test]
    fn last_event_is_rfc3339_to_the_second() {
        let t = now_rfc3339();
        assert!(t.parse::<jiff::Timestamp>().is_ok(), "{t}");
        assert!(t.ends_with('Z') && !t.contains('.'), "{t}");
    }
}
