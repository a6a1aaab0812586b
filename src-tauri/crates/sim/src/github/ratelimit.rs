//! GitHub's primary rate limit, counted as github.com counts it: per token for authenticated
//! callers and once for all anonymous callers, in hourly windows of wall-clock time. Wall-clock,
//! not scenario time, because clients compare `x-ratelimit-reset` with their own clock.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

pub const AUTHENTICATED_LIMIT: u64 = 5000;
pub const ANONYMOUS_LIMIT: u64 = 60;
const WINDOW_SECS: u64 = 3600;

/// Who is charged for a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    Token(String),
    Anonymous,
}

impl RateKey {
    pub fn limit(&self) -> u64 {
        match self {
            Self::Token(_) => AUTHENTICATED_LIMIT,
            Self::Anonymous => ANONYMOUS_LIMIT,
        }
    }

    fn of(token: Option<&str>) -> Self {
        token.map_or(Self::Anonymous, |t| Self::Token(t.to_owned()))
    }
}

#[derive(Debug, Default, Clone)]
struct Account {
    window_reset: u64,
    used_in_window: u64,
    spent_total: u64,
    requests_total: u64,
}

/// What the `x-ratelimit-*` headers say after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: u64,
    pub remaining: u64,
    pub used: u64,
    pub reset: u64,
}

#[derive(Debug, Default)]
pub struct RateLimits {
    accounts: HashMap<RateKey, Account>,
    /// Injected faults: the next N counted requests see an exhausted primary limit…
    pub primary_exhausted_for: u32,
    /// …or a secondary limit with this `retry-after`.
    pub secondary_for: u32,
    pub retry_after: u32,
}

pub enum Verdict {
    Allowed,
    PrimaryExhausted(Budget),
    Secondary { budget: Budget, retry_after: u32 },
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl RateLimits {
    fn account(&mut self, key: &RateKey) -> &mut Account {
        let now = now_secs();
        let account = self.accounts.entry(key.clone()).or_default();
        if account.window_reset <= now {
            account.window_reset = now + WINDOW_SECS;
            account.used_in_window = 0;
        }
        account
    }

    pub fn budget(&mut self, key: &RateKey) -> Budget {
        let limit = key.limit();
        let a = self.account(key);
        Budget {
            limit,
            remaining: limit.saturating_sub(a.used_in_window),
            used: a.used_in_window,
            reset: a.window_reset,
        }
    }

    /// Decides whether a counted request may proceed; injected limits are used up here.
    pub fn admit(&mut self, key: &RateKey) -> Verdict {
        let budget = self.budget(key);
        if self.secondary_for > 0 {
            self.secondary_for -= 1;
            return Verdict::Secondary {
                budget,
                retry_after: self.retry_after,
            };
        }
        if self.primary_exhausted_for > 0 {
            self.primary_exhausted_for -= 1;
            return Verdict::PrimaryExhausted(Budget {
                remaining: 0,
                ..budget
            });
        }
        if budget.remaining == 0 {
            return Verdict::PrimaryExhausted(budget);
        }
        Verdict::Allowed
    }

    /// Charges one point (the request was served and was not a 304).
    pub fn spend(&mut self, key: &RateKey) {
        let a = self.account(key);
        a.used_in_window += 1;
        a.spent_total += 1;
    }

    pub fn saw_request(&mut self, key: &RateKey) {
        self.account(key).requests_total += 1;
    }

    pub fn spent_by(&self, token: Option<&str>) -> u64 {
        self.accounts
            .get(&RateKey::of(token))
            .map_or(0, |a| a.spent_total)
    }

    pub fn requests_by(&self, token: Option<&str>) -> u64 {
        self.accounts
            .get(&RateKey::of(token))
            .map_or(0, |a| a.requests_total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_budget_runs_out_after_sixty_points() {
        let mut limits = RateLimits::default();
        for _ in 0..ANONYMOUS_LIMIT {
            assert!(matches!(
                limits.admit(&RateKey::Anonymous),
                Verdict::Allowed
            ));
            limits.spend(&RateKey::Anonymous);
        }
        assert!(
            matches!(limits.admit(&RateKey::Anonymous), Verdict::PrimaryExhausted(b) if b.remaining == 0)
        );
        let token = RateKey::Token("t".into());
        assert!(matches!(limits.admit(&token), Verdict::Allowed));
        assert_eq!(limits.spent_by(None), 60);
        assert_eq!(limits.spent_by(Some("t")), 0);
    }
}
