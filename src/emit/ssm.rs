//! Placeholder until this emitter lands; returns no artifacts.

use super::Artifact;
use crate::model::App;

pub fn emit(_app: &App) -> Vec<Artifact> {
    Vec::new()
}
