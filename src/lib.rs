//! paasc: compiles an app spec (`app.paas`) into every artifact of a
//! five-stage immutable-infrastructure pipeline on AWS.
//!
//! Pipeline: source text -> `syntax` (AST with spans) -> `resolve` (use
//! files, stdlib, params, env overlays, interpolation) -> `validate` (every
//! semantic rule) -> `model` (typed, validated) -> `emit` (artifacts).
//! Diagnostics accumulate across phases; only emission stops on errors.
//! The library never touches the disk or network except through the
//! `Loader` the caller passes (and `deploy`, behind its cargo feature).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod emit;
pub mod model;
