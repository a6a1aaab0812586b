//! Container image references, split the way registries read them. The one parser: a ':' before
//! the last '/' belongs to a registry port, the tag follows the last ':' of the last path
//! segment, the digest follows '@'.

/// `registry:port/path/name:tag@sha256:…`, borrowed from the text it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageReference<'a> {
    /// Everything before the tag and digest: registry (with port), path and name.
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub fn parse(image: &str) -> ImageReference<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest).filter(|d| !d.is_empty())),
        None => (image, None),
    };
    let segment_start = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[segment_start..].rfind(':') {
        Some(colon) => {
            let at = segment_start + colon;
            (&rest[..at], Some(&rest[at + 1..]).filter(|t| !t.is_empty()))
        }
        None => (rest, None),
    };
    ImageReference { name, tag, digest }
}

impl ImageReference<'_> {
    /// The image pinned to `digest` (a running pod's), keeping the tag for people to read:
    /// `name:tag@digest`. Without a digest, the reference as it was.
    pub fn pinned_to(&self, digest: Option<&str>) -> String {
        let mut out = self.name.to_owned();
        if let Some(tag) = self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = digest.or(self.digest) {
            out.push('@');
            out.push_str(digest);
        }
        out
    }

    /// The last path segment of the name: `tbyte-api` for `ghcr.io/tbyte-org/tbyte-api:1`.
    pub fn base_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(self.name)
    }
}

/// The tag of `image`, if it has one.
pub fn tag_of(image: &str) -> Option<&str> {
    parse(image).tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_port_is_not_a_tag() {
        let r = parse("registry.example:5000/tbyte-api:v2@sha256:abc");
        assert_eq!(r.name, "registry.example:5000/tbyte-api");
        assert_eq!(r.tag, Some("v2"));
        assert_eq!(r.digest, Some("sha256:abc"));
        assert_eq!(
            r.pinned_to(None),
            "registry.example:5000/tbyte-api:v2@sha256:abc"
        );
        let untagged = parse("registry.example:5000/tbyte-api");
        assert_eq!(untagged.name, "registry.example:5000/tbyte-api");
        assert_eq!(untagged.tag, None);
        assert_eq!(
            untagged.pinned_to(Some("sha256:def")),
            "registry.example:5000/tbyte-api@sha256:def"
        );
    }

    #[test]
    fn tags_and_digests_as_registries_read_them() {
        let cases = [
            ("ghcr.io/tbyte-org/tbyte-api:abc1234", Some("abc1234"), None),
            ("nginx", None, None),
            ("localhost:5000/app", None, None),
            ("localhost:5000/app:1.2", Some("1.2"), None),
            (
                "registry:5000/team/app@sha256:0123",
                None,
                Some("sha256:0123"),
            ),
            ("app:v1@sha256:abcd", Some("v1"), Some("sha256:abcd")),
            ("app:", None, None),
        ];
        for (image, tag, digest) in cases {
            let r = parse(image);
            assert_eq!((r.tag, r.digest), (tag, digest), "{image}");
        }
    }

    #[test]
    fn plain_references() {
        let r = parse("ghcr.io/tbyte-org/tbyte-web:a1b2c3d");
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("ghcr.io/tbyte-org/tbyte-web", Some("a1b2c3d"), None)
        );
        assert_eq!(r.base_name(), "tbyte-web");
        assert_eq!(parse("nginx").tag, None);
        assert_eq!(parse("nginx:").tag, None);
        assert_eq!(tag_of("nginx:1.27"), Some("1.27"));
        assert_eq!(parse("").name, "");
    }
}
