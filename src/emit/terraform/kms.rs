//! `kms.tf`: the key that encrypts the app's data, exposed as
//! `local.kms_key_arn`. The module creates no key: an alias in the spec is
//! resolved with a data source, a key ARN is used as is, and without `kms`
//! the module reads `alias/paas-<app>-<env>`, which `paasc bootstrap`
//! created (with its key policy) before anything needed it.

pub(crate) use super::super::hcl::policy::{policy_document, Statement};
use super::{block, data, r, s, TfFile};
use crate::model::{App, Kms};
use hcl::{Body, Expression};

/// The key's ARN, for every other file.
pub(crate) fn key_arn() -> Expression {
    r("local.kms_key_arn")
}

pub(crate) fn emit(app: &App) -> TfFile {
    let mut body = Body::builder();
    let arn = match &app.kms {
        Kms::Alias(alias) => {
            body = body.add_block(
                data("aws_kms_alias", "app")
                    .add_attribute(("name", s(alias)))
                    .build(),
            );
            r("data.aws_kms_alias.app.target_key_arn")
        }
        Kms::KeyArn(arn) => s(arn),
        // The key `paasc bootstrap` created for this app and env: it exists
        // before the first bake, so the module only reads it.
        Kms::Managed => {
            body = body.add_block(
                data("aws_kms_alias", "app")
                    .add_attribute(("name", s(app.managed_kms_alias())))
                    .build(),
            );
            r("data.aws_kms_alias.app.target_key_arn")
        }
    };
    body = body.add_block(block("locals").add_attribute(("kms_key_arn", arn)).build());
    TfFile {
        name: "kms.tf",
        body: body.build(),
        skips: vec![],
    }
}

/// Domain suffix of service principals in the app's partition.
pub(crate) fn service_domain(app: &App) -> &'static str {
    crate::model::names::service_domain(app.partition())
}
