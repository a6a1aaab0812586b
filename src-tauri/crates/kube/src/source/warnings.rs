//! The namespace's warning Events as the source keeps them: the newest few of each workload, and
//! how many more there are.
//!
//! Anyone who may create Events in the namespace writes them, and a crash loop alone adds one
//! every few seconds. Kept whole, 100 000 events on one workload would hold hundreds of MB, go
//! to the window in every Snapshot, and push every other workload's warnings out of sight. So the
//! store itself keeps a bounded set, not only the Snapshot: the newest [`MAX_PER_WORKLOAD`] of
//! each workload and [`MAX_KEPT`] in all; the others are only counted.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};

use kube::runtime::watcher;
use sluice_core::snapshot::WarningEvent;

use super::rows::EventRow;

/// The newest warnings kept per workload. A person reads the latest few to see what is wrong;
/// the 21st BackOff of a crash loop says nothing the first 20 did not.
pub const MAX_PER_WORKLOAD: usize = 20;
/// The most kept in all, however many objects the events name (whoever writes Events may name
/// any): with each text cut at 1 024 characters, a few hundred KB per environment at worst.
pub const MAX_KEPT: usize = 100;
/// Left-out events are remembered by a hash of their name (8 bytes, against a row's kilobyte),
/// so that an update or deletion of one keeps the count exact. Beyond this many, further ones are
/// counted without being remembered: the count may then stay high after they are deleted.
const MAX_REMEMBERED: usize = 1 << 20;

/// The warning events kept for the view, fed by the Events watcher.
#[derive(Clone, Default)]
pub(super) struct WarningStore(Arc<Mutex<Feed>>);

#[derive(Default)]
struct Feed {
    live: Kept,
    /// While the watcher lists (again): what the list brought so far, replacing `live` once
    /// complete, as a reflector store does.
    listing: Option<Kept>,
}

impl WarningStore {
    fn feed(&self) -> MutexGuard<'_, Feed> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn apply(&self, event: &watcher::Event<EventRow>) {
        let mut feed = self.feed();
        match event {
            watcher::Event::Init => feed.listing = Some(Kept::default()),
            watcher::Event::InitApply(row) => {
                feed.listing.get_or_insert_with(Kept::default).apply(row);
            }
            watcher::Event::InitDone => {
                if let Some(listed) = feed.listing.take() {
                    feed.live = listed;
                }
            }
            watcher::Event::Apply(row) => feed.live.apply(row),
            watcher::Event::Delete(row) => feed.live.delete(&row.name),
        }
    }

    /// The kept warnings, newest first, and how many more there are.
    pub(super) fn read(&self) -> (Vec<WarningEvent>, u32) {
        let feed = self.feed();
        let mut rows: Vec<&EventRow> = feed.live.rows.values().map(AsRef::as_ref).collect();
        rows.sort_by(|a, b| newest_first(a, b));
        let warnings = rows
            .into_iter()
            .map(|e| WarningEvent {
                object: e.object.clone(),
                reason: e.reason.clone(),
                message: e.message.clone(),
                count: e.count,
                last_seen: e.last_seen.map(|t| t.to_string()),
            })
            .collect();
        (warnings, feed.live.left_out())
    }
}

fn newest_first(a: &EventRow, b: &EventRow) -> Ordering {
    b.last_seen
        .cmp(&a.last_seen)
        .then_with(|| a.name.cmp(&b.name))
}

#[derive(Default)]
struct Kept {
    /// By event name.
    rows: HashMap<String, Arc<EventRow>>,
    /// Hashes of the names of the warnings left out.
    left_out: HashSet<u64>,
    /// Left out beyond [`MAX_REMEMBERED`].
    uncounted: u32,
    names: RandomState,
}

impl Kept {
    fn left_out(&self) -> u32 {
        u32::try_from(self.left_out.len())
            .unwrap_or(u32::MAX)
            .saturating_add(self.uncounted)
    }

    fn apply(&mut self, row: &EventRow) {
        let key = self.names.hash_one(&row.name);
        self.left_out.remove(&key);
        // A server that ignores the field selector sends normal events: neither shown nor
        // counted.
        if !row.warning {
            self.rows.remove(&row.name);
            return;
        }
        self.rows.insert(row.name.clone(), Arc::new(row.clone()));
        let workload = row.workload.as_str();
        if self
            .rows
            .values()
            .filter(|r| r.workload == workload)
            .count()
            > MAX_PER_WORKLOAD
        {
            self.leave_out_oldest(|r| r.workload == workload);
        }
        if self.rows.len() > MAX_KEPT {
            self.leave_out_oldest(|_| true);
        }
    }

    fn delete(&mut self, name: &str) {
        self.rows.remove(name);
        let key = self.names.hash_one(name);
        self.left_out.remove(&key);
    }

    fn leave_out_oldest(&mut self, among: impl Fn(&EventRow) -> bool) {
        let Some(oldest) = self
            .rows
            .values()
            .filter(|r| among(r))
            .max_by(|a, b| newest_first(a, b))
            .map(|r| r.name.clone())
        else {
            return;
        };
        self.rows.remove(&oldest);
        if self.left_out.len() < MAX_REMEMBERED {
            self.left_out.insert(self.names.hash_one(&oldest));
        } else {
            self.uncounted = self.uncounted.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use k8s_openapi::api::core::v1::Event;

    use super::super::rows;
    use super::*;

    /// A warning about `object` (kind, name), last seen `second` seconds after a fixed moment.
    fn warning(name: &str, object: (&str, &str), second: u32) -> EventRow {
        let at =
            k8s_openapi::jiff::Timestamp::from_second(1_790_000_000 + i64::from(second)).unwrap();
        let e: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "involvedObject": {"kind": object.0, "name": object.1},
            "reason": "BackOff", "message": "Back-off restarting failed container",
            "type": "Warning", "lastTimestamp": at.to_string(),
        }))
        .unwrap();
        rows::event(e)
    }

    fn names(store: &WarningStore) -> Vec<String> {
        let feed = store.feed();
        let mut rows: Vec<&EventRow> = feed.live.rows.values().map(AsRef::as_ref).collect();
        rows.sort_by(|a, b| newest_first(a, b));
        rows.into_iter().map(|r| r.name.clone()).collect()
    }

    #[test]
    fn a_flood_on_one_workload_keeps_its_newest_and_counts_the_rest() {
        let store = WarningStore::default();
        // Older than the whole flood, on another workload: it must stay.
        store.apply(&watcher::Event::Apply(warning(
            "web.1",
            ("Deployment", "tbyte-web"),
            0,
        )));
        for i in 0..20_000u32 {
            store.apply(&watcher::Event::Apply(warning(
                &format!("api.{i}"),
                ("Pod", "tbyte-api-7d9f8c6b5-x2k4z"),
                1 + i,
            )));
        }
        let kept = names(&store);
        assert_eq!(kept.len(), MAX_PER_WORKLOAD + 1, "{kept:?}");
        assert_eq!(kept.last().map(String::as_str), Some("web.1"));
        let newest: Vec<String> = (19_980..20_000).rev().map(|i| format!("api.{i}")).collect();
        assert_eq!(&kept[..MAX_PER_WORKLOAD], newest.as_slice());
        let (warnings, left_out) = store.read();
        assert_eq!(warnings.len(), MAX_PER_WORKLOAD + 1);
        assert_eq!(left_out, 20_000 - 20);
    }

    #[test]
    fn the_left_out_count_follows_updates_and_deletions() {
        let store = WarningStore::default();
        let pod = ("Pod", "tbyte-api-7d9f8c6b5-x2k4z");
        for i in 0..25u32 {
            store.apply(&watcher::Event::Apply(warning(&format!("e{i:02}"), pod, i)));
        }
        assert_eq!(store.read().1, 5, "e00 to e04 are left out");
        // e00 happens again (its count and time move on): it is the newest now.
        store.apply(&watcher::Event::Apply(warning("e00", pod, 100)));
        assert_eq!(names(&store)[0], "e00");
        assert_eq!(store.read().1, 5, "e00 in, e05 out: still five");
        // A left-out event expires: one fewer to tell of.
        store.apply(&watcher::Event::Delete(warning("e01", pod, 1)));
        assert_eq!(store.read().1, 4);
        // A kept one expires: the count of kept ones drops, the left-out ones stay out.
        store.apply(&watcher::Event::Delete(warning("e24", pod, 24)));
        assert_eq!(store.read().1, 4);
        assert_eq!(names(&store).len(), 19);
    }

    #[test]
    fn many_objects_are_bounded_in_all_and_a_relist_starts_over() {
        let store = WarningStore::default();
        for i in 0..1_000u32 {
            store.apply(&watcher::Event::Apply(warning(
                &format!("cm.{i}"),
                ("ConfigMap", &format!("config-{i}")),
                i,
            )));
        }
        assert_eq!(names(&store).len(), MAX_KEPT);
        assert_eq!(names(&store)[0], "cm.999");
        assert_eq!(store.read().1, 900);

        // After a relist, what the list holds is all there is.
        store.apply(&watcher::Event::Init);
        store.apply(&watcher::Event::InitApply(warning(
            "only",
            ("Pod", "tbyte-api-7d9f8c6b5-x2k4z"),
            5,
        )));
        assert_eq!(
            names(&store).len(),
            MAX_KEPT,
            "unchanged until the list completes"
        );
        store.apply(&watcher::Event::InitDone);
        assert_eq!(names(&store), ["only"]);
        assert_eq!(store.read().1, 0);
    }

    #[test]
    fn normal_events_are_neither_kept_nor_counted() {
        let store = WarningStore::default();
        let mut normal = warning("n", ("Pod", "p"), 1);
        normal.warning = false;
        store.apply(&watcher::Event::Apply(normal));
        assert_eq!(store.read(), (Vec::new(), 0));
        // An event that says nothing at all (no type, no object) counts as a warning.
        store.apply(&watcher::Event::Apply(rows::event(Event::default())));
        assert_eq!(store.read().0.len(), 1);
    }
}
