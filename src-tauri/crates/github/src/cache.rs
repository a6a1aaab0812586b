//! The ETag cache behind every GET. octocrab's own in-memory cache stores whatever body it saw
//! when the response is dropped, even one cut short by a dying connection, and then replays it
//! on every 304 until the resource changes: a poll would fail to decode it for as long. This one
//! refuses bodies shorter than their `content-length`, and can be told to stop trusting an entry.
//! It is bounded, in routes and in bytes: every commit asked about is a route of its own; a
//! window left open for days, or the demo at 60x for one, would otherwise keep every answer it
//! ever had. Comparisons of two commit ids are not kept at all: their answer never changes, the
//! source keeps it parsed while it is wanted, and it grows with every commit while a gate waits
//! (up to 250 commits, some 750 KB).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::{HeaderMap, Uri, header};
use octocrab::service::middleware::cache::{CacheKey, CacheStorage, CacheWriter, CachedResponse};

use crate::reads::between_commits;

#[derive(Clone, Default)]
pub(crate) struct EtagCache(Arc<Mutex<HashMap<Uri, Entry>>>);

struct Entry {
    /// `None` once forgotten: the next GET goes out unconditional.
    key: Option<CacheKey>,
    response: CachedResponse,
    /// Last stored, hit or loaded.
    used: Instant,
}

/// Past this many routes, or [`BYTES`] of bodies, the least recently used go first: a route a
/// poll asks for again was used at its last poll, while a comparison with a commit the gate has
/// moved on from is never asked for again.
const KEPT: usize = 256;
const BYTES: usize = 16 << 20;
/// An entry used this recently never goes: octocrab loads the body of an entry it was just told
/// to revalidate, within the same request, and panics if it is gone.
const GRACE: Duration = Duration::from_secs(60);

impl EtagCache {
    fn entries(&self) -> MutexGuard<'_, HashMap<Uri, Entry>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops sending the ETag of every stored route ending in `route`, so that the next GET
    /// fetches it whole. The body stays: octocrab loads it after a hit it may already have
    /// taken, and panics if it is gone.
    pub fn forget(&self, route: &str) {
        for (uri, entry) in self.entries().iter_mut() {
            if uri
                .path_and_query()
                .is_some_and(|pq| pq.as_str().ends_with(route))
            {
                entry.key = None;
            }
        }
    }
}

impl CacheStorage for EtagCache {
    fn try_hit(&self, uri: &Uri) -> Option<CacheKey> {
        let mut entries = self.entries();
        let entry = entries.get_mut(uri)?;
        entry.used = Instant::now();
        entry.key.clone()
    }

    fn load(&self, uri: &Uri) -> Option<CachedResponse> {
        let mut entries = self.entries();
        let entry = entries.get_mut(uri)?;
        entry.used = Instant::now();
        Some(entry.response.clone())
    }

    fn writer(&self, uri: &Uri, key: CacheKey, headers: HeaderMap) -> Box<dyn CacheWriter> {
        let expected = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Box::new(Writer {
            cache: self.clone(),
            keep: !compares_commits(uri),
            uri: uri.clone(),
            key: Some(key),
            expected,
            response: CachedResponse {
                body: Vec::new(),
                headers,
            },
        })
    }
}

/// Collects a body as it is read; stores it when dropped, which octocrab does once the body is
/// read to the end, or abandoned.
struct Writer {
    cache: EtagCache,
    /// Whether the answer is stored at all.
    keep: bool,
    uri: Uri,
    key: Option<CacheKey>,
    expected: Option<usize>,
    response: CachedResponse,
}

impl CacheWriter for Writer {
    fn write_body(&mut self, data: &[u8]) {
        self.response.body.extend_from_slice(data);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.keep || self.expected.is_some_and(|n| n != self.response.body.len()) {
            return;
        }
        let now = Instant::now();
        let mut response = std::mem::take(&mut self.response);
        // The body grew chunk by chunk: up to twice its length in spare capacity.
        response.body.shrink_to_fit();
        let entry = Entry {
            key: self.key.take(),
            response,
            used: now,
        };
        let mut entries = self.cache.entries();
        entries.insert(self.uri.clone(), entry);
        bound(&mut entries, now);
    }
}

/// Whether `uri` is GitHub's comparison of two commit ids (`.../compare/<sha>...<sha>`).
fn compares_commits(uri: &Uri) -> bool {
    uri.path()
        .rsplit_once("/compare/")
        .and_then(|(_, range)| range.split_once("..."))
        .is_some_and(|(base, head)| between_commits(base, head))
}

/// Drops the least recently used entries until at most [`KEPT`] routes and [`BYTES`] remain,
/// never one used within [`GRACE`].
fn bound(entries: &mut HashMap<Uri, Entry>, now: Instant) {
    let mut bytes: usize = entries.values().map(|e| e.response.body.len()).sum();
    if entries.len() <= KEPT && bytes <= BYTES {
        return;
    }
    let mut by_use: Vec<(Instant, Uri)> = entries
        .iter()
        .map(|(uri, e)| (e.used, uri.clone()))
        .collect();
    by_use.sort_by_key(|(used, _)| *used);
    for (used, uri) in by_use {
        if (entries.len() <= KEPT && bytes <= BYTES) || now.duration_since(used) < GRACE {
            break;
        }
        if let Some(gone) = entries.remove(&uri) {
            bytes -= gone.response.body.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(length: Option<usize>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(n) = length {
            h.insert(header::CONTENT_LENGTH, n.into());
        }
        h
    }

    fn store(cache: &EtagCache, uri: &Uri, length: Option<usize>, body: &[u8]) {
        let mut w = cache.writer(uri, CacheKey::ETag("\"e1\"".into()), headers(length));
        w.write_body(body);
    }

    #[test]
    fn a_body_cut_short_is_not_kept() {
        let cache = EtagCache::default();
        let uri: Uri = "/repos/o/r/pulls?state=open".parse().unwrap_or_default();
        store(&cache, &uri, Some(10), b"[{\"num");
        assert!(cache.try_hit(&uri).is_none());
        store(&cache, &uri, Some(2), b"[]");
        assert_eq!(cache.try_hit(&uri), Some(CacheKey::ETag("\"e1\"".into())));
        // Without a length (chunked answers) there is nothing to check against.
        let other: Uri = "/repos/o/r/commits".parse().unwrap_or_default();
        store(&cache, &other, None, b"[]");
        assert!(cache.try_hit(&other).is_some());
    }

    fn route(i: usize) -> Uri {
        format!("/repos/o/r/commits/{i:040x}/check-runs")
            .parse()
            .unwrap_or_default()
    }

    /// Every entry last used `ago`, except those named.
    fn used_ago(cache: &EtagCache, ago: Duration, except: &[Uri]) {
        let Some(then) = Instant::now().checked_sub(ago) else {
            return;
        };
        for (uri, entry) in cache.entries().iter_mut() {
            if !except.contains(uri) {
                entry.used = then;
            }
        }
    }

    #[test]
    fn past_many_routes_the_least_recently_used_go() {
        let cache = EtagCache::default();
        for i in 0..KEPT {
            store(&cache, &route(i), None, b"{}");
        }
        used_ago(&cache, GRACE * 2, &[]);
        // The first route, asked again by a poll: it is recent now.
        assert!(cache.try_hit(&route(0)).is_some());
        // Up to KEPT nothing goes; one more, and the least recently used one does.
        assert_eq!(cache.entries().len(), KEPT);
        store(&cache, &route(KEPT), None, b"{}");
        assert_eq!(cache.entries().len(), KEPT);
        assert!(cache.load(&route(0)).is_some(), "just used: kept");
        assert!(cache.load(&route(KEPT)).is_some(), "just stored: kept");
        let gone: Vec<usize> = (0..=KEPT)
            .filter(|i| cache.load(&route(*i)).is_none())
            .collect();
        assert_eq!(gone.len(), 1);
    }

    #[test]
    fn past_many_bytes_the_least_recently_used_go_but_never_one_just_used() {
        let cache = EtagCache::default();
        let big = vec![b'x'; BYTES / 2];
        store(&cache, &route(1), None, &big);
        used_ago(&cache, GRACE * 3, &[]);
        store(&cache, &route(2), None, &big);
        used_ago(&cache, GRACE * 2, &[route(1)]);
        // Three halves of the budget: the least recently used (route 1) goes.
        store(&cache, &route(3), None, &big);
        assert!(cache.load(&route(1)).is_none());
        assert_eq!(cache.load(&route(2)).map(|r| r.body.len()), Some(BYTES / 2));
        assert!(cache.load(&route(3)).is_some());
        // Over the budget with everything just used: nothing goes (a poll is loading them).
        store(&cache, &route(4), None, &big);
        assert_eq!(cache.entries().len(), 3);
    }

    #[test]
    fn a_forgotten_entry_is_asked_for_whole_but_still_loads() {
        let cache = EtagCache::default();
        let uri: Uri = "/api/v3/repos/o/r/pulls?state=open"
            .parse()
            .unwrap_or_default();
        store(&cache, &uri, Some(2), b"[]");
        cache.forget("/repos/o/r/pulls?state=open");
        assert!(cache.try_hit(&uri).is_none());
        assert_eq!(cache.load(&uri).map(|r| r.body), Some(b"[]".to_vec()));
    }

    #[test]
    fn a_comparison_of_two_commits_is_not_kept_one_with_a_branch_is() {
        let cache = EtagCache::default();
        let commits: Uri =
            "/api/v3/repos/o/r/compare/abc1234...0123456789abcdef0123456789abcdef01234567"
                .parse()
                .unwrap_or_default();
        store(&cache, &commits, Some(2), b"{}");
        assert!(cache.try_hit(&commits).is_none());
        assert!(cache.entries().is_empty());
        let branch: Uri = "/repos/o/r/compare/abc1234...main"
            .parse()
            .unwrap_or_default();
        store(&cache, &branch, Some(2), b"{}");
        assert!(cache.try_hit(&branch).is_some());
    }

    #[test]
    fn a_kept_body_holds_no_spare_capacity() {
        let cache = EtagCache::default();
        let uri = route(1);
        let mut w = cache.writer(&uri, CacheKey::ETag("\"e1\"".into()), headers(None));
        for _ in 0..100 {
            w.write_body(&[b'x'; 1000]);
        }
        drop(w);
        let entries = cache.entries();
        let body = &entries[&uri].response.body;
        assert_eq!((body.len(), body.capacity()), (100_000, 100_000));
    }
}
