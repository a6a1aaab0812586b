//! Handing the system back the memory the console freed. glibc keeps freed memory in its arenas
//! for reuse and returns pages only from the top of a heap, so the churn of a live view (watch
//! events decoded and dropped, Snapshots replaced, and in the demo the world's five minutes of
//! watch history, which drops a change for each it takes) leaves freed pages resident. In the
//! demo at 60x that was about 3 MiB of RSS a minute, with the live heap flat (heaptrack).

use std::time::Duration;

use tokio::task::JoinHandle;

/// How often freed memory is handed back: often enough that a day's churn does not add up,
/// rarely enough that the walk over the arenas (their locks held in turn) costs nothing seen.
pub const EVERY: Duration = Duration::from_secs(30);

/// Asks the allocator to return the free pages of every arena to the system. Whether it gave
/// anything back; elsewhere than glibc it does nothing (other allocators return memory
/// themselves, or have no such call).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "glibc's malloc_trim, an FFI call")]
pub fn release_freed() -> bool {
    // SAFETY: malloc_trim takes no pointers and touches only glibc's own free lists, under the
    // arenas' locks, as every malloc and free does.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() -> bool {
    false
}

/// Hands freed memory back every [`EVERY`], off the async workers, until aborted.
pub fn spawn_release() -> JoinHandle<()> {
    tokio::spawn(async {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let started = std::time::Instant::now();
            if let Ok(released) = tokio::task::spawn_blocking(release_freed).await {
                tracing::trace!(released, took = ?started.elapsed(), "freed memory handed back");
            }
        }
    })
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Resident pages of this process, in bytes.
    fn resident() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: u64 = statm
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        pages * 4096
    }

    #[test]
    fn memory_freed_below_a_live_allocation_goes_back_to_the_system() {
        const MIB: u64 = 1 << 20;
        // On a thread of its own, so in an arena of its own; many small blocks, as decoded
        // watch events are, and the last one kept, so that the heap's top stays in use and
        // glibc cannot simply shrink it.
        let kept = std::thread::spawn(|| {
            let mut blocks: Vec<Box<[u8; 1024]>> =
                (0..64 * 1024).map(|_| Box::new([7; 1024])).collect();
            blocks.pop()
        })
        .join()
        .ok()
        .flatten();
        assert!(kept.is_some());
        let freed = resident();
        release_freed();
        let released = resident();
        drop(kept);
        assert!(
            freed.saturating_sub(released) >= 32 * MIB,
            "resident {} MiB after the free, {} MiB after handing it back",
            freed / MIB,
            released / MIB
        );
    }
}
