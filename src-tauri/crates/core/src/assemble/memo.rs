//! Assembling one Snapshot after another: an environment whose inputs did not change since the
//! last Snapshot is not reduced again, and a gate whose two sides did not change keeps what it
//! would ship. A change to one pod among 150 000 then re-reduces the 5 000 of its environment
//! and the gates next to it, not all of them.

use std::collections::HashMap;
use std::sync::Arc;

use super::{EnvironmentInputs, GateSides, Sources, assemble_with, environment_state, pending_of};
use crate::inputs::{ClusterInputs, GithubInputs};
use crate::pipeline::Environment;
use crate::snapshot::{EnvironmentState, Pending, Snapshot};

/// What one environment was reduced from. The cluster inputs are compared by identity: the
/// cluster source hands on the same `Arc` until something in the environment changes.
struct Reduced {
    environment: Environment,
    cluster: Option<Arc<ClusterInputs>>,
    stale: bool,
    state: EnvironmentState,
    /// Changes whenever this environment is reduced again: what depends on it compares this.
    generation: u64,
}

impl Reduced {
    fn reduced_from(&self, environment: &Environment, inputs: &EnvironmentInputs) -> bool {
        let same_cluster = match (&self.cluster, &inputs.cluster) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_cluster && self.stale == inputs.stale && &self.environment == environment
    }
}

/// Gives the same Snapshot as [`super::assemble`] for the same sources, reusing what it reduced
/// for the previous ones.
#[derive(Default)]
pub struct Assembler {
    reduced: Vec<Option<Reduced>>,
    /// Per gate (target, source): the generations of both sides it was planned from.
    pending: HashMap<(usize, usize), ((u64, u64), Pending)>,
    /// GitHub's inputs everything kept was computed with: versions are named from its commits,
    /// drift is judged against its deployments and a gate's commits come from its comparisons,
    /// so a change there starts afresh.
    github: Option<GithubInputs>,
    generations: u64,
}

impl Assembler {
    pub fn assemble(&mut self, sources: &Sources<'_>) -> Snapshot {
        if self.github.as_ref() != sources.github {
            self.github = sources.github.cloned();
            self.reduced.clear();
            self.pending.clear();
        }
        let environments = &sources.pipeline.environments;
        self.reduced.resize_with(environments.len(), || None);
        let default_inputs = EnvironmentInputs::default();
        let mut generations = Vec::with_capacity(environments.len());
        let mut states = Vec::with_capacity(environments.len());
        for (i, (environment, reduced)) in environments.iter().zip(&mut self.reduced).enumerate() {
            let inputs = sources.environments.get(i).unwrap_or(&default_inputs);
            let kept = match reduced {
                Some(r) if r.reduced_from(environment, inputs) => r,
                _ => {
                    self.generations += 1;
                    reduced.insert(Reduced {
                        environment: environment.clone(),
                        cluster: inputs.cluster.clone(),
                        stale: inputs.stale,
                        state: environment_state(environment, inputs, sources.github),
                        generation: self.generations,
                    })
                }
            };
            generations.push(kept.generation);
            states.push(kept.state.clone());
        }
        let kept = &mut self.pending;
        let mut pending = |(target, source): (usize, usize), sides: &GateSides<'_>| {
            let key = (generations[target], generations[source]);
            match kept.get(&(target, source)) {
                Some((planned_from, pending)) if *planned_from == key => pending.clone(),
                _ => {
                    let mut pending = pending_of(sides, sources.github);
                    // Planned again to the same images (a pod turned over): the very same list,
                    // which the window is then not sent again.
                    if let Some((_, before)) = kept.get(&(target, source))
                        && before.image_changes == pending.image_changes
                    {
                        pending.image_changes = Arc::clone(&before.image_changes);
                    }
                    kept.insert((target, source), (key, pending.clone()));
                    pending
                }
            }
        };
        assemble_with(sources, states, &mut pending)
    }
}
