//! Fault injection, controllable per run: latency, server errors, dropped connections and a
//! frozen server. Each server renders an injected error in its own dialect (a Kubernetes
//! `Status`, a GitHub error body); rate limits are GitHub's own concern and live there.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Plan>>);

#[derive(Debug, Default, Clone)]
struct Plan {
    latency: Duration,
    fail_next: u32,
    fail_status: u16,
    drop_next: u32,
    /// Set while frozen: cancelled to thaw.
    thaw: Option<CancellationToken>,
}

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub delay: Duration,
    /// Answer with this 5xx status instead of serving the request.
    pub fail_with: Option<u16>,
}

impl Faults {
    fn plan(&self) -> MutexGuard<'_, Plan> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Delays every request by `latency` (real time).
    pub fn set_latency(&self, latency: Duration) {
        self.plan().latency = latency;
    }

    /// Answers the next `count` requests with `status` (e.g. 500, 503).
    pub fn fail_next(&self, count: u32, status: u16) {
        let mut plan = self.plan();
        plan.fail_next = count;
        plan.fail_status = status;
    }

    /// Closes the next `count` connections as soon as they are accepted, before any response.
    pub fn drop_next_connections(&self, count: u32) {
        self.plan().drop_next = count;
    }

    /// Freezes the server as `kill -STOP` would: connections stay open and requests are
    /// accepted, but nothing is read or sent — no answer, no watch event, no bookmark — until
    /// [`Faults::thaw`]. What happens meanwhile is delivered after the thaw.
    pub fn freeze(&self) {
        self.plan().thaw.get_or_insert_with(CancellationToken::new);
    }

    /// Ends a [`Faults::freeze`]: every stalled read and write goes on.
    pub fn thaw(&self) {
        if let Some(thaw) = self.plan().thaw.take() {
            thaw.cancel();
        }
    }

    /// While frozen, what completes at the thaw; `None` when not frozen.
    pub fn thawed(&self) -> Option<WaitForCancellationFutureOwned> {
        self.plan()
            .thaw
            .clone()
            .map(CancellationToken::cancelled_owned)
    }

    pub fn clear(&self) {
        self.thaw();
        *self.plan() = Plan::default();
    }

    /// Called once per request by the server's middleware.
    pub fn decide(&self) -> Decision {
        let mut plan = self.plan();
        let fail_with = if plan.fail_next > 0 {
            plan.fail_next -= 1;
            Some(plan.fail_status)
        } else {
            None
        };
        Decision {
            delay: plan.latency,
            fail_with,
        }
    }

    /// Called once per accepted connection; `true` means close it unanswered.
    pub fn take_dropped_connection(&self) -> bool {
        let mut plan = self.plan();
        if plan.drop_next > 0 {
            plan.drop_next -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_down() {
        let f = Faults::default();
        f.fail_next(2, 503);
        assert_eq!(f.decide().fail_with, Some(503));
        assert_eq!(f.decide().fail_with, Some(503));
        assert_eq!(f.decide().fail_with, None);
        f.drop_next_connections(1);
        assert!(f.take_dropped_connection());
        assert!(!f.take_dropped_connection());
    }

    #[tokio::test]
    async fn a_freeze_lasts_until_the_thaw() {
        let f = Faults::default();
        assert!(f.thawed().is_none());
        f.freeze();
        let waiting = f.thawed().unwrap();
        f.freeze();
        let second = f.thawed().unwrap();
        f.thaw();
        // Both waits end: freezing twice is one freeze.
        waiting.await;
        second.await;
        assert!(f.thawed().is_none());
    }
}
