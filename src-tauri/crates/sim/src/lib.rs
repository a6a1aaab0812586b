//! The simulated world: a Kubernetes API server and a GitHub REST server on 127.0.0.1 that speak
//! the real wire protocols, so the real `kube` and `octocrab` clients (and kubectl) talk to them
//! exactly as they would to the real services. It is Sluice's demo mode and the ground of its tests.

pub mod clock;
pub mod faults;
pub mod github;
pub mod kube;
pub mod kubeconfig;
pub mod people;
pub mod server;
pub mod story;
pub mod testing;
pub mod tls;
pub mod world;

pub use clock::ScenarioClock;
pub use faults::Faults;
pub use people::{Person, Role};
pub use server::SimServer;
pub use world::{SimWorld, WorldOptions};
