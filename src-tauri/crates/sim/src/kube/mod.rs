//! The simulated Kubernetes API server: real discovery, verbs, watches, patches and
//! server-side apply over HTTP, bearer-token people with RBAC, and the controllers that make
//! Deployments roll out.

pub mod api;
pub mod auth;
pub mod controllers;
pub mod defaults;
pub mod fields;
pub mod helm;
pub mod openapi;
pub mod patch;
pub mod proto;
pub mod resources;
pub mod selectors;
pub mod services;
pub mod status;
pub mod store;
pub mod strategic;
pub mod table;
pub mod watch;
pub mod world;

pub use world::{Breakage, KubeWorld, PodTimings};

use crate::faults::Faults;
use crate::server::SimServer;

/// Serves `world` over HTTPS with `tls` on a free loopback port.
pub async fn serve(
    world: KubeWorld,
    faults: Faults,
    tls: std::sync::Arc<rustls::ServerConfig>,
) -> std::io::Result<SimServer> {
    let router = api::router(world).layer(axum::middleware::from_fn_with_state(
        faults.clone(),
        api::faults_layer,
    ));
    SimServer::start_tls(router, faults, tls).await
}
