//! Fault injection, controllable per run: latency, server errors and dropped connections.
//! Each server renders an injected error in its own dialect (a Kubernetes `Status`, a GitHub
//! error body); rate limits are GitHub's own concern and live there.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Plan>>);

#[derive(Debug, Default, Clone)]
struct Plan {
    latency: Duration,
    fail_next: u32,
    fail_status: u16,
    drop_next: u32,
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

    pub fn clear(&self) {
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
}
