//! `base NAME { owner filter user [platform] }`: where the source AMI comes from.

use super::super::fields::{Field, Fields};
use super::super::tree::{Cx, Node};
use super::super::values as v;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::BaseImage;
use crate::resolve::Def;
use crate::schema;

/// The model of a `base` definition (stdlib or user), or None (reported).
pub fn base_def(cx: &mut Cx, def: &Def) -> Option<BaseImage> {
    // Duplicates inside the definition are reported by the structural pass.
    let node = Node::build(
        &def.block.items,
        def.block.had_errors,
        &mut Diagnostics::default(),
    );
    let f = Fields::new(&schema::BASE, Some(&node));
    let mut get = |key: &str| -> Option<String> {
        match f.string(cx, key) {
            Field::Ok(s, _) => Some(s),
            Field::Bad => None,
            Field::Absent => {
                if !node.had_errors {
                    cx.push(
                        Diagnostic::new(
                            Code::MissingKey,
                            format!("base `{}` is missing `{key}`", def.name.name),
                        )
                        .label(def.name.span, format!("needs `{key}`"))
                        .help("a base needs `owner`, `filter` and `user`"),
                    );
                }
                None
            }
        }
    };
    let owner = get("owner");
    let filter = get("filter");
    let user = get("user");
    let platform = f.choice(cx, "platform", "platform").or("linux")?;
    if let (Some(o), Some(a)) = (&owner, f.attr("owner")) {
        let alias = matches!(
            o.as_str(),
            "amazon" | "self" | "aws-marketplace" | "aws-backup-vault"
        );
        if !alias && !v::is_account(o) {
            cx.push(
                Diagnostic::new(
                    Code::AccountId,
                    format!("`{}` is not an AMI owner", o.escape_debug()),
                )
                .label(a.value.span, "expected a 12-digit account id or `amazon`")
                .help("use the account id that publishes the AMI"),
            );
            return None;
        }
    }
    Some(BaseImage {
        name: def.name.name.clone(),
        owner: owner?,
        filter: filter?,
        user: user?,
        platform: platform.to_string(),
    })
}
