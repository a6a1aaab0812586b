//! Which image each container of the target environment would run after a promotion: the
//! target's Deployments are matched one to one with the source's by their component — the name
//! without its Helm release's prefix (`tbyte-staging-api` and `tbyte-prod-api` are both `api`) —
//! and containers by name within them. Anything that does not match one to one is a problem, and
//! a promotion that sets images refuses rather than guess.

use std::collections::BTreeMap;

use crate::image;
use crate::snapshot::{ImageChange, ImageRef};

/// The component a Deployment of `release` implements.
pub fn component<'a>(release: &str, workload: &'a str) -> &'a str {
    workload
        .strip_prefix(release)
        .and_then(|rest| rest.strip_prefix('-'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(workload)
}

/// The image a source container runs, pinned to its running digest when a pod reports one.
fn pinned(r: &ImageRef) -> String {
    image::parse(&r.image).pinned_to(r.digest.as_deref())
}

/// Whether two containers run the same image: same name and tag, and the same digest where
/// both are known.
fn same_image(a: &ImageRef, b: &ImageRef) -> bool {
    let (x, y) = (image::parse(&a.image), image::parse(&b.image));
    let digest = |r: &ImageRef, p: &image::ImageReference<'_>| {
        r.digest.clone().or(p.digest.map(str::to_owned))
    };
    x.name == y.name
        && x.tag == y.tag
        && match (digest(a, &x), digest(b, &y)) {
            (Some(d), Some(e)) => d == e,
            _ => true,
        }
}

type Containers<'a> = BTreeMap<&'a str, &'a ImageRef>;

fn by_workload(images: &[ImageRef]) -> BTreeMap<&str, Containers<'_>> {
    let mut out: BTreeMap<&str, Containers<'_>> = BTreeMap::new();
    for r in images {
        out.entry(r.workload.as_str())
            .or_default()
            .insert(r.container.as_str(), r);
    }
    out
}

/// The changes a promotion from `source` (release, its containers) into `target` makes, and the
/// problems that stop it from being worked out.
pub fn image_plan(
    target: (&str, &[ImageRef]),
    source: (&str, &[ImageRef]),
) -> (Vec<ImageChange>, Vec<String>) {
    let (target_release, target_images) = target;
    let (source_release, source_images) = source;
    let targets = by_workload(target_images);
    let sources = by_workload(source_images);
    let mut problems = Vec::new();
    let mut source_by_component: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for name in sources.keys() {
        source_by_component
            .entry(component(source_release, name))
            .or_default()
            .push(name);
    }
    for (c, names) in &source_by_component {
        if names.len() > 1 {
            problems.push(format!(
                "the source's Deployments {} all implement `{c}`: which one to promote is ambiguous",
                names.join(", ")
            ));
        }
    }
    // A set: at 500 workloads a list's `contains` below made this quadratic.
    let mut matched_sources = std::collections::BTreeSet::new();
    let mut changes = Vec::new();
    for (name, containers) in &targets {
        let c = component(target_release, name);
        let Some(source_name) = source_by_component
            .get(c)
            .filter(|names| names.len() == 1)
            .map(|names| names[0])
        else {
            if !source_by_component.contains_key(c) {
                problems.push(format!(
                    "Deployment {name} has no counterpart `{c}` in release {source_release}"
                ));
            }
            continue;
        };
        matched_sources.insert(source_name);
        let Some(source_containers) = sources.get(source_name) else {
            continue;
        };
        for (container, current) in containers {
            let Some(next) = source_containers.get(container) else {
                problems.push(format!(
                    "container `{container}` of {name} has no counterpart in {source_name}"
                ));
                continue;
            };
            if !same_image(current, next) {
                changes.push(ImageChange {
                    workload: (*name).to_owned(),
                    container: (*container).to_owned(),
                    source_workload: source_name.to_owned(),
                    from: Some(current.image.clone()),
                    to: Some(pinned(next)),
                });
            }
        }
        for container in source_containers.keys() {
            if !containers.contains_key(container) {
                problems.push(format!(
                    "container `{container}` of {source_name} has no counterpart in {name}"
                ));
            }
        }
    }
    for name in sources.keys() {
        if !matched_sources.contains(name)
            && source_by_component
                .get(component(source_release, name))
                .is_some_and(|n| n.len() == 1)
        {
            problems.push(format!(
                "Deployment {name} of release {source_release} has no counterpart in release {target_release}: a promotion never creates workloads"
            ));
        }
    }
    (changes, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(workload: &str, container: &str, image: &str, digest: Option<&str>) -> ImageRef {
        ImageRef {
            workload: workload.into(),
            container: container.into(),
            image: image.into(),
            tag: crate::image::tag_of(image).map(str::to_owned),
            digest: digest.map(str::to_owned),
        }
    }

    fn prod() -> Vec<ImageRef> {
        vec![
            image("tbyte-prod-api", "api", "ghcr.io/t/tbyte-api:aaaaaaa", None),
            image("tbyte-prod-web", "web", "ghcr.io/t/tbyte-web:aaaaaaa", None),
        ]
    }

    #[test]
    fn workloads_match_by_component_and_containers_by_name() {
        let staging = vec![
            image(
                "tbyte-staging-api",
                "api",
                "registry.example:5000/tbyte-api:v2",
                Some("sha256:feed"),
            ),
            image(
                "tbyte-staging-web",
                "web",
                "ghcr.io/t/tbyte-web:aaaaaaa",
                None,
            ),
        ];
        let (changes, problems) = image_plan(("tbyte-prod", &prod()), ("tbyte-staging", &staging));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            changes,
            [ImageChange {
                workload: "tbyte-prod-api".into(),
                container: "api".into(),
                source_workload: "tbyte-staging-api".into(),
                from: Some("ghcr.io/t/tbyte-api:aaaaaaa".into()),
                to: Some("registry.example:5000/tbyte-api:v2@sha256:feed".into()),
            }],
            "the web container runs the same image already; the port and digest survive"
        );
    }

    #[test]
    fn a_foreign_workload_in_the_source_is_a_problem_not_a_match() {
        let mut staging = vec![
            image(
                "tbyte-staging-api",
                "api",
                "ghcr.io/t/tbyte-api:bbbbbbb",
                None,
            ),
            image(
                "tbyte-staging-web",
                "web",
                "ghcr.io/t/tbyte-web:bbbbbbb",
                None,
            ),
        ];
        staging.push(image(
            "tbyte-staging-aaa",
            "api",
            "ghcr.io/evil/backdoor:1",
            None,
        ));
        let (changes, problems) = image_plan(("tbyte-prod", &prod()), ("tbyte-staging", &staging));
        assert!(
            changes
                .iter()
                .all(|c| !c.to.as_deref().unwrap_or_default().contains("evil")),
            "{changes:?}"
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("tbyte-staging-aaa"), "{problems:?}");
    }

    #[test]
    fn ambiguity_and_missing_counterparts_are_problems() {
        let staging = vec![
            image("tbyte-staging-api", "api", "x/api:1", None),
            image("api", "api", "x/api:2", None),
        ];
        let (changes, problems) =
            image_plan(("tbyte-prod", &prod()[..1]), ("tbyte-staging", &staging));
        assert!(changes.is_empty());
        assert!(problems[0].contains("ambiguous"), "{problems:?}");
        let (_, problems) = image_plan(("tbyte-prod", &prod()), ("tbyte-staging", &[]));
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
