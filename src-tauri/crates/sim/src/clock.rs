//! The scenario clock: simulated time that either runs at a speed factor (demos, benchmarks) or
//! stands still until a test steps it. Everything in the world that waits, waits on this clock.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

#[derive(Clone)]
pub struct ScenarioClock {
    state: Arc<Mutex<State>>,
    /// Bumped on every step or speed change so sleepers re-evaluate their deadline.
    changed: watch::Sender<u64>,
}

struct State {
    /// Simulated time at `anchor_real`.
    anchor_sim: Timestamp,
    anchor_real: Instant,
    /// Simulated seconds per real second; 0 means time moves only by `advance`.
    speed: f64,
}

impl State {
    fn now(&self) -> Timestamp {
        if self.speed == 0.0 {
            return self.anchor_sim;
        }
        let real = self.anchor_real.elapsed().as_secs_f64() * self.speed;
        self.anchor_sim
            .checked_add(SignedDuration::from_secs_f64(real))
            .unwrap_or(self.anchor_sim)
    }
}

impl ScenarioClock {
    /// A clock that runs `speed` times faster than real time from `start`.
    pub fn running(start: Timestamp, speed: f64) -> Self {
        Self::new(start, speed.max(0.0))
    }

    /// A clock that stands at `start` until [`ScenarioClock::advance`] moves it.
    pub fn manual(start: Timestamp) -> Self {
        Self::new(start, 0.0)
    }

    fn new(start: Timestamp, speed: f64) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                anchor_sim: start,
                anchor_real: Instant::now(),
                speed,
            })),
            changed: watch::channel(0).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned clock still holds a valid time: recover it rather than fail the world.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn now(&self) -> Timestamp {
        self.lock().now()
    }

    pub fn speed(&self) -> f64 {
        self.lock().speed
    }

    /// Changes the speed from now on (0 stops the clock); the current time is kept.
    pub fn set_speed(&self, speed: f64) {
        {
            let mut s = self.lock();
            s.anchor_sim = s.now();
            s.anchor_real = Instant::now();
            s.speed = speed.max(0.0);
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// Moves simulated time forward, waking everything whose deadline has passed.
    pub fn advance(&self, by: Duration) {
        {
            let mut s = self.lock();
            let now = s.now();
            s.anchor_sim = now.checked_add(by).unwrap_or(now);
            s.anchor_real = Instant::now();
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// Waits until simulated time reaches `deadline`.
    pub async fn sleep_until(&self, deadline: Timestamp) {
        let mut changed = self.changed.subscribe();
        loop {
            let (now, speed) = {
                let s = self.lock();
                (s.now(), s.speed)
            };
            if now >= deadline {
                return;
            }
            let remaining = deadline.duration_since(now);
            if speed > 0.0 {
                let real = Duration::from_secs_f64(remaining.as_secs_f64().max(0.0) / speed);
                tokio::select! {
                    _ = tokio::time::sleep(real) => {}
                    _ = changed.changed() => {}
                }
            } else if changed.changed().await.is_err() {
                return;
            }
        }
    }

    /// Waits for `duration` of simulated time.
    pub async fn sleep(&self, duration: Duration) {
        let deadline = self
            .now()
            .checked_add(duration)
            .unwrap_or_else(|_| self.now());
        self.sleep_until(deadline).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-11-26T09:00:00Z".parse().unwrap()
    }

    #[tokio::test]
    async fn manual_clock_moves_only_when_stepped() {
        let clock = ScenarioClock::manual(t0());
        assert_eq!(clock.now(), t0());
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(60)).await }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(30));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(30));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(clock.now(), t0() + SignedDuration::from_secs(60));
    }

    #[tokio::test]
    async fn running_clock_scales_real_time() {
        let clock = ScenarioClock::running(t0(), 1000.0);
        tokio::time::timeout(
            Duration::from_secs(5),
            clock.sleep(Duration::from_secs(100)),
        )
        .await
        .unwrap();
        assert!(clock.now() >= t0() + SignedDuration::from_secs(100));
    }

    #[tokio::test]
    async fn speeding_up_wakes_a_sleeper_early() {
        let clock = ScenarioClock::running(t0(), 1.0);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(3600)).await }
        });
        tokio::task::yield_now().await;
        clock.set_speed(1_000_000.0);
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .unwrap()
            .unwrap();
    }
}
