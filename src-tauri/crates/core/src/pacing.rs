//! How soon a rebuild may follow the one before it.
//!
//! Bursts of changes (a rollout touches a Deployment, its ReplicaSets and pods within
//! milliseconds, on separate watches) should not each pay for a full rebuild, but a lone change
//! should be seen at once. A fixed hold after every rebuild does the first and breaks the
//! second whenever a change lands just after an unrelated one (the next waits out the hold).
//! Spacing rebuilds by what they cost does both: a cheap rebuild may be followed almost at once,
//! and rebuilding never takes more than a fifth of the time during a burst, up to a ceiling that
//! bounds how long a change can wait.

use std::time::Duration;

/// Rebuilds are spaced by this many times what the last one cost.
const COST_MULTIPLE: u32 = 4;

/// The longest a change waits because of the rebuild before it.
pub const MAX_SPACING: Duration = Duration::from_millis(50);

/// The least time between the end of a rebuild that took `cost` and the start of the next.
pub fn spacing_after(cost: Duration) -> Duration {
    cost.saturating_mul(COST_MULTIPLE).min(MAX_SPACING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cheap_rebuilds_may_follow_almost_at_once() {
        assert_eq!(spacing_after(Duration::ZERO), Duration::ZERO);
        assert_eq!(
            spacing_after(Duration::from_micros(250)),
            Duration::from_millis(1)
        );
    }

    #[test]
    fn costly_rebuilds_take_at_most_a_fifth_of_the_time_until_the_ceiling() {
        let cost = Duration::from_millis(10);
        let spacing = spacing_after(cost);
        assert_eq!(spacing, Duration::from_millis(40));
        assert!(cost * 5 <= cost + spacing);
        assert_eq!(spacing_after(Duration::from_millis(13)), MAX_SPACING);
        assert_eq!(spacing_after(Duration::from_secs(3600)), MAX_SPACING);
    }
}
