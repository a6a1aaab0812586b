//! A whole simulated world, started in-process: the cluster with its controllers, served on
//! loopback, on one scenario clock, with one cast of people.

use std::path::Path;

use jiff::Timestamp;

use crate::clock::ScenarioClock;
use crate::faults::Faults;
use crate::kube::{self, KubeWorld};
use crate::people::{self, Person, Role};
use crate::server::SimServer;

pub struct WorldOptions {
    pub start: Timestamp,
    /// Simulated seconds per real second; 0 for a clock that only tests move.
    pub speed: f64,
    pub namespaces: Vec<String>,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self {
            start: Timestamp::now(),
            speed: 1.0,
            namespaces: vec!["dev".into(), "staging".into(), "production".into()],
        }
    }
}

pub struct SimWorld {
    pub clock: ScenarioClock,
    pub people: Vec<Person>,
    pub kube: KubeWorld,
    pub kube_server: SimServer,
    /// PEM of the CA the simulated apiserver's certificate chains to.
    pub kube_ca_pem: String,
    controllers: tokio::task::JoinHandle<()>,
}

impl SimWorld {
    pub async fn start(options: WorldOptions) -> std::io::Result<Self> {
        let clock = if options.speed > 0.0 {
            ScenarioClock::running(options.start, options.speed)
        } else {
            ScenarioClock::manual(options.start)
        };
        let people = people::cast();
        let namespaces: Vec<&str> = options.namespaces.iter().map(String::as_str).collect();
        let kube = KubeWorld::new(clock.clone(), people.clone(), &namespaces);
        let controllers = tokio::spawn(kube::controllers::run(kube.clone()));
        let identity = crate::tls::mint().map_err(std::io::Error::other)?;
        let kube_server = kube::serve(kube.clone(), Faults::default(), identity.config).await?;
        Ok(Self {
            clock,
            people,
            kube,
            kube_server,
            kube_ca_pem: identity.ca_pem,
            controllers,
        })
    }

    pub fn person(&self, role: Role) -> &Person {
        // cast() has one person per role.
        self.people
            .iter()
            .find(|p| p.role == role)
            .unwrap_or(&self.people[0])
    }

    /// Writes a kubeconfig whose contexts are `contexts` (the pipeline's), as the approver, plus
    /// `<context>@<login>` for every simulated person.
    pub fn write_kubeconfig(&self, path: &Path, contexts: &[String]) -> std::io::Result<()> {
        let text = crate::kubeconfig::render(
            &self.kube_server.url(),
            &self.kube_ca_pem,
            contexts,
            &self.people,
            self.person(Role::Approver),
        );
        crate::kubeconfig::write_private(path, &text)
    }
}

impl Drop for SimWorld {
    fn drop(&mut self) {
        self.controllers.abort();
    }
}
