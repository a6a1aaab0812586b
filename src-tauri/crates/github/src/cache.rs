//! The ETag cache behind every GET. octocrab's own in-memory cache stores whatever body it saw
//! when the response is dropped, even one cut short by a dying connection, and then replays it
//! on every 304 until the resource changes: a poll would fail to decode it for as long. This one
//! refuses bodies shorter than their `content-length`, and can be told to stop trusting an entry.
//! It is bounded: every commit compared or asked about is a route of its own, and a window left
//! open for days (or the demo at 60x for one) would otherwise keep every answer it ever had.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::{HeaderMap, Uri, header};
use octocrab::service::middleware::cache::{CacheKey, CacheStorage, CacheWriter, CachedResponse};

#[derive(Clone, Default)]
pub(crate) struct EtagCache(Arc<Mutex<HashMap<Uri, Entry>>>);

struct Entry {
    /// `None` once forgotten: the next GET goes out unconditional.
    key: Option<CacheKey>,
    response: CachedResponse,
    /// Last stored, hit or loaded.
    used: Instant,
}

/// Past this many routes, those not used for [`IDLE`] are dropped.
const KEPT: usize = 256;
/// Longer than any poll interval, so the routes a poll asks for stay; and an entry octocrab has
/// just been told to revalidate is never dropped before it loads the body (it panics without).
const IDLE: Duration = Duration::from_secs(10 * 60);

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
        if self.expected.is_some_and(|n| n != self.response.body.len()) {
            return;
        }
        let now = Instant::now();
        let entry = Entry {
            key: self.key.take(),
            response: std::mem::take(&mut self.response),
            used: now,
        };
        let mut entries = self.cache.entries();
        entries.insert(self.uri.clone(), entry);
        if entries.len() > KEPT {
            entries.retain(|_, e| now.duration_since(e.used) < IDLE);
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

    #[test]
    fn routes_not_used_for_a_while_go_once_there_are_many() {
        let cache = EtagCache::default();
        let route = |i: usize| -> Uri {
            format!("/repos/o/r/commits/{i:040x}/check-runs")
                .parse()
                .unwrap_or_default()
        };
        for i in 0..KEPT {
            store(&cache, &route(i), None, b"{}");
        }
        // All of them idle for longer than IDLE, except the one a poll has just revalidated.
        let Some(long_ago) = Instant::now().checked_sub(IDLE + Duration::from_secs(1)) else {
            return; // a machine up for less than IDLE cannot have such an entry
        };
        for entry in cache.entries().values_mut() {
            entry.used = long_ago;
        }
        assert!(cache.try_hit(&route(7)).is_some());
        // Up to KEPT nothing goes; one more, and the idle ones do.
        assert_eq!(cache.entries().len(), KEPT);
        store(&cache, &route(KEPT), None, b"{}");
        let mut kept: Vec<String> = cache.entries().keys().map(ToString::to_string).collect();
        kept.sort();
        assert_eq!(kept, [route(7).to_string(), route(KEPT).to_string()]);
        assert_eq!(cache.load(&route(7)).map(|r| r.body), Some(b"{}".to_vec()));
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
}
