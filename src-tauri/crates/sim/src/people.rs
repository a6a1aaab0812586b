//! The simulated people: who they are on GitHub and in the cluster, and their tokens.

use std::hash::{BuildHasher, Hasher};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A required reviewer of production; may change every environment.
    Approver,
    /// Writes code; may change dev and staging, only read production.
    Developer,
    /// Reads everything, changes nothing.
    Viewer,
    /// The release lead: may do what the approver may, and reviews production through the
    /// release managers team rather than by name.
    Lead,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub login: String,
    pub name: String,
    pub role: Role,
    /// Bearer token for the simulated Kubernetes API.
    pub kube_token: String,
    /// Token for the simulated GitHub API.
    pub github_token: String,
}

/// The cast of a world, one person per role. Tokens are fresh random values for every world.
pub fn cast() -> Vec<Person> {
    [
        ("alice-approver", "Alice Approver", Role::Approver),
        ("dave-developer", "Dave Developer", Role::Developer),
        ("vera-viewer", "Vera Viewer", Role::Viewer),
        ("carol-lead", "Carol Lead", Role::Lead),
    ]
    .into_iter()
    .map(|(login, name, role)| Person {
        login: login.to_owned(),
        name: name.to_owned(),
        role,
        kube_token: format!("sim-kube-{}", random_hex()),
        github_token: format!("ghp_sim{}", random_hex()),
    })
    .collect()
}

/// 128 random bits from the process's randomly keyed hasher; enough for tokens on loopback.
fn random_hex() -> String {
    let mut out = String::new();
    for i in 0..2u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(i);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_fresh() {
        let a = cast();
        let b = cast();
        assert_eq!(a.len(), 4);
        let mut tokens: Vec<&str> = a
            .iter()
            .chain(&b)
            .flat_map(|p| [p.kube_token.as_str(), p.github_token.as_str()])
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        // Two tokens a person, in two casts: all distinct.
        assert_eq!(tokens.len(), 16);
    }
}
