//! Reading the merged app block into the model, block by block.

use super::checks;
use super::tables::{INSTANCE_FAMILIES, INSTANCE_SIZES, MAX_SECONDS, REGIONS, RETENTIONS};
use super::tree::{Cx, NBlock, Node};
use super::values::{self as v, RunEntry};
use crate::diagnostics::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::*;
use crate::resolve::Program;
use crate::source::Span;
use crate::syntax::ast::{Block, StrPart, Value, ValueKind};
use std::collections::BTreeMap;

const APP_KEYS: &[&str] = &["team", "version", "region", "account", "kms"];
const APP_BLOCKS: &[&str] = &[
    "tags", "image", "service", "network", "fleet", "access", "verify", "logs", "release",
    "pipeline", "env",
];

pub fn lower_app(
    prog: &Program,
    app: &Block,
    node: &Node,
    env: &str,
    envs: Vec<String>,
    diags: &mut Diagnostics,
) -> Option<App> {
    let name_ident = match &app.label {
        Some(l) => l,
        None => {
            diags.push(
                Diagnostic::new(Code::Misplaced, "`app` needs a name")
                    .label(app.name.span, "write `app NAME { ... }`"),
            );
            return None;
        }
    };
    crate::resolve::check_name(name_ident, "app", diags);
    let name = name_ident.name.clone();
    node.check_known("app", APP_KEYS, APP_BLOCKS, false, diags);

    // Params first, then region and account (which may use params), then the rest.
    let mut vars = BTreeMap::new();
    vars.insert("app".to_string(), name.clone());
    vars.insert("env".to_string(), env.to_string());
    let mut cx = Cx { diags, vars };
    let mut param_values = Vec::new();
    for (pname, p) in &prog.params {
        let value = match &p.value.kind {
            ValueKind::Str(parts) => {
                if let Some(StrPart::Interp(i)) = parts.iter().find(|x| matches!(x, StrPart::Interp(i) if i.name == "region" || i.name == "account")) {
                    cx.push(
                        Diagnostic::new(Code::InterpolationCycle, format!("param `{pname}` cannot use `${{{}}}`", i.name))
                            .label(i.span, "params are evaluated before region and account")
                            .help("use `${region}`/`${account}` in the app's strings instead"),
                    );
                    None
                } else {
                    cx.eval_parts(parts)
                }
            }
            other => Some(match other {
                ValueKind::Int(n) => n.to_string(),
                ValueKind::Decimal(d) => d.to_string(),
                ValueKind::Bool(b) => b.to_string(),
                ValueKind::Name(n) => n.clone(),
                ValueKind::Quantity { amount, unit } => format!("{amount}{unit}"),
                _ => String::new(),
            }),
        };
        if let Some(value) = value {
            param_values.push((pname.clone(), value));
        }
    }
    for (k, val) in param_values {
        cx.vars.insert(k, val);
    }
    let region = required(&mut cx, node, "region", app).and_then(|a| {
        no_self_reference(&mut cx, &a.value)?;
        let r = cx.string(&a.value)?;
        if REGIONS.contains(&r.as_str()) {
            Some(r)
        } else {
            let help = suggest(&r, REGIONS.iter().copied())
                .unwrap_or_else(|| "use a region code such as `us-east-1`".into());
            cx.push(
                Diagnostic::new(Code::Region, format!("unknown region `{r}`"))
                    .label(a.value.span, "not an AWS region")
                    .help(help),
            );
            None
        }
    });
    let account = required(&mut cx, node, "account", app).and_then(|a| {
        no_self_reference(&mut cx, &a.value)?;
        account_value(&mut cx, &a.value)
    });
    if let Some(r) = &region {
        cx.vars.insert("region".into(), r.clone());
    }
    if let Some(a) = &account {
        cx.vars.insert("account".into(), a.clone());
    }
    let account_s = account.clone().unwrap_or_default();
    let region_s = region.clone().unwrap_or_default();
    let arn_cx = ArnCx {
        region: region.clone(),
        accounts: account.iter().cloned().collect(),
        env: env.to_string(),
        account_span: node.attr("account").map(|a| a.value.span),
    };

    let team = node
        .attr("team")
        .and_then(|a| cx.string(&a.value))
        .unwrap_or_else(|| name.clone());
    let version = match node.attr("version") {
        None => "0.0.0".to_string(),
        Some(a) => match cx.string(&a.value) {
            Some(s) if v::is_version(&s) => s,
            Some(s) => {
                cx.push(
                    Diagnostic::new(
                        Code::Version,
                        format!("`{}` is not a valid version", s.escape_debug()),
                    )
                    .label(a.value.span, "1-64 letters, digits, `.`, `_`, `+`, `-`")
                    .help("use a version such as `1.2.3`"),
                );
                String::new()
            }
            None => String::new(),
        },
    };
    let kms = match node.attr("kms") {
        None => Kms::Managed,
        Some(a) => kms(&mut cx, &a.value, &arn_cx).unwrap_or(Kms::Managed),
    };
    let tags = tags(&mut cx, node.block("tags"));
    let image = image(&mut cx, prog, node.block("image"));
    let service = service(&mut cx, node.block("service"), &arn_cx, app);
    let network = network(
        &mut cx,
        node.block("network"),
        service.as_ref().map(|s| s.public).unwrap_or(false),
    );
    let fleet = fleet(&mut cx, node.block("fleet"));
    let access = access(&mut cx, node.block("access"));
    let verify = match node.block("verify") {
        Some(b) => {
            b.node.check_known("verify", &[], &[], true, cx.diags);
            checks::verify(&mut cx, prog, &b.node.checks)
        }
        None => Vec::new(),
    };
    for def in prog.packs.values().filter(|d| !d.stdlib) {
        checks::pack_lines(&mut cx, &def.block);
    }
    let logs = logs(&mut cx, node.block("logs"), &name, env, &account_s, app);
    let release = release(&mut cx, node.block("release"));
    let pipeline = pipeline(&mut cx, node.block("pipeline"), &account_s, &arn_cx);

    // Warnings that depend on the merged result.
    if let Some(s) = &service {
        if s.https.is_none() {
            let span = node
                .block("service")
                .map(|b| b.name.span)
                .unwrap_or(name_ident.span);
            cx.push(
                Diagnostic::new(Code::PlainHttp, "the service is served over plain HTTP")
                    .label(span, "no `https` certificate")
                    .help(
                        "add `https = \"arn:aws:acm:REGION:ACCOUNT:certificate/ID\"` to `service`",
                    ),
            );
        }
    }

    Some(App {
        name,
        env: env.to_string(),
        envs,
        team,
        version,
        region: region_s,
        account: account_s,
        kms,
        tags,
        image: image?,
        service: service?,
        network: network?,
        fleet: fleet?,
        access: access?,
        verify,
        logs: logs?,
        release: release?,
        pipeline: pipeline?,
        source: SourceInfo {
            file_name: prog.root_file_name.clone(),
            sha256: prog.source_sha256.clone(),
        },
    })
    .filter(|_| region.is_some() && account.is_some())
}

fn required<'a>(
    cx: &mut Cx,
    node: &Node<'a>,
    key: &str,
    app: &Block,
) -> Option<&'a crate::syntax::ast::Attr> {
    let a = node.attr(key);
    if a.is_none() && !node.had_errors {
        let span = app.label.as_ref().map(|l| l.span).unwrap_or(app.name.span);
        let example = if key == "region" {
            "region = \"us-east-1\""
        } else {
            "account = \"123456789012\""
        };
        cx.push(
            Diagnostic::new(Code::MissingKey, format!("`app` is missing `{key}`"))
                .label(span, format!("this app needs `{key}`"))
                .help(format!("add `{example}`")),
        );
    }
    a
}

fn no_self_reference(cx: &mut Cx, val: &Value) -> Option<()> {
    if let ValueKind::Str(parts) = &val.kind {
        for p in parts {
            if let StrPart::Interp(i) = p {
                if i.name == "region" || i.name == "account" {
                    cx.push(
                        Diagnostic::new(
                            Code::InterpolationCycle,
                            format!("`{}` cannot be used here", i.name),
                        )
                        .label(
                            i.span,
                            "region and account cannot be built from region or account",
                        )
                        .help("write the value out, or use a `param`"),
                    );
                    return None;
                }
            }
        }
    }
    Some(())
}

fn account_value(cx: &mut Cx, val: &Value) -> Option<String> {
    if let ValueKind::Int(n) = val.kind {
        cx.push(
            Diagnostic::new(Code::WrongType, "account ids are strings")
                .label(val.span, "an integer")
                .help(format!(
                    "write it in quotes: `\"{n:012}\"` (leading zeros matter)"
                )),
        );
        return None;
    }
    let s = cx.string(val)?;
    if v::is_account(&s) {
        Some(s)
    } else {
        cx.push(
            Diagnostic::new(
                Code::AccountId,
                format!("`{}` is not an AWS account id", s.escape_debug()),
            )
            .label(
                val.span,
                format!(
                    "{} characters; account ids are exactly 12 digits",
                    s.chars().count()
                ),
            )
            .help("write the 12-digit id, e.g. `\"123456789012\"`"),
        );
        None
    }
}

/// What ARNs must agree with.
struct ArnCx {
    region: Option<String>,
    /// Accounts an ARN may name (app account, and the pipeline's where relevant).
    accounts: Vec<String>,
    /// The env being lowered, and where the app's account is set (it may be
    /// an overlay's), so a mismatch can say which env and point there.
    env: String,
    account_span: Option<Span>,
}

/// Checks an ARN's service, resource shape, region and account.
fn arn(
    cx: &mut Cx,
    val: &Value,
    what: &str,
    service: &str,
    example: &str,
    resource_ok: fn(&str) -> bool,
    acx: &ArnCx,
) -> Option<String> {
    let s = cx.string(val)?;
    let Some(a) = v::arn(&s)
        .filter(|a| a.service == service && resource_ok(a.resource) && v::is_account(a.account))
    else {
        cx.push(
            Diagnostic::new(Code::Arn, format!("`{}` is not {what}", s.escape_debug()))
                .label(val.span, "malformed ARN")
                .help(format!("expected `{example}`")),
        );
        return None;
    };
    let mut ok = true;
    if let Some(r) = &acx.region {
        if a.region != r {
            cx.push(
                Diagnostic::new(
                    Code::ArnRegion,
                    format!("{what} is in `{}`, the app in `{r}`", a.region),
                )
                .label(val.span, format!("region `{}`", a.region))
                .help(format!("use {what} in `{r}`")),
            );
            ok = false;
        }
    }
    if !acx.accounts.is_empty() && !acx.accounts.iter().any(|x| x == a.account) {
        cx.push(
            {
                let whose = if acx.env == super::DEFAULT_ENV { "the app".to_string() } else { format!("the app in env `{}`", acx.env) };
                let mut d = Diagnostic::new(Code::ArnAccount, format!("{what} belongs to account `{}`, {whose} to `{}`", a.account, acx.accounts.join("`/`")))
                    .label(val.span, format!("account `{}`", a.account));
                if let Some(span) = acx.account_span {
                    d = d.label(span, format!("{whose} runs in this account"));
                }
                d.help("use a resource of the app's account; an env overlay that changes `account` must override this too")
            },
        );
        ok = false;
    }
    ok.then_some(s)
}

fn kms(cx: &mut Cx, val: &Value, acx: &ArnCx) -> Option<Kms> {
    let s = cx.string(val)?;
    if s.starts_with("alias/") {
        if s.starts_with("alias/aws/") {
            cx.push(
                Diagnostic::new(Code::Kms, format!("`{s}` is an AWS managed key"))
                    .label(
                        val.span,
                        "AWS managed keys cannot be shared or given key policies",
                    )
                    .help("use a customer managed key, or leave `kms` out and paasc creates one"),
            );
            return None;
        }
        if v::is_alias(&s) {
            return Some(Kms::Alias(s));
        }
    } else if s.starts_with("arn:") {
        return arn(
            cx,
            val,
            "a KMS key ARN",
            "kms",
            "arn:aws:kms:REGION:ACCOUNT:key/ID",
            v::is_kms_key_resource,
            acx,
        )
        .map(Kms::KeyArn);
    }
    cx.push(
        Diagnostic::new(
            Code::Kms,
            format!("`{}` is not a KMS key reference", s.escape_debug()),
        )
        .label(val.span, "expected `alias/NAME` or a key ARN")
        .help("write `kms = \"alias/my-key\"`"),
    );
    None
}

fn tags(cx: &mut Cx, b: Option<&NBlock>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(b) = b else { return out };
    for blk in &b.node.blocks {
        cx.push(
            Diagnostic::new(Code::UnknownBlock, "`tags` takes no blocks")
                .label(blk.name.span, "not a tag")
                .help("write tags as `Key = \"value\"`"),
        );
    }
    for c in &b.node.checks {
        cx.push(
            Diagnostic::new(Code::MisplacedCheck, "missing `=` in tag")
                .label(c.span, "a tag needs `=`")
                .help("write `Key = \"value\"`"),
        );
    }
    for a in &b.node.attrs {
        let Some(value) = cx.string(&a.value) else {
            continue;
        };
        let k = &a.key.name;
        if k.len() > 128 || k.to_ascii_lowercase().starts_with("aws:") {
            cx.push(
                Diagnostic::new(Code::Tag, format!("invalid tag key `{k}`"))
                    .label(a.key.span, "1-128 characters, not starting with `aws:`")
                    .help("rename the tag"),
            );
            continue;
        }
        if value.chars().count() > 256 {
            cx.push(
                Diagnostic::new(Code::Tag, format!("tag `{k}` value is too long"))
                    .label(a.value.span, "at most 256 characters")
                    .help("shorten the value"),
            );
            continue;
        }
        out.insert(k.clone(), value);
    }
    out
}

const IMAGE_KEYS: &[&str] = &["base", "instance", "volume", "share", "chef"];

fn image(cx: &mut Cx, prog: &Program, b: Option<&NBlock>) -> Option<Image> {
    let empty = Node::default();
    let node = b.map(|b| &b.node).unwrap_or(&empty);
    node.check_known("image", IMAGE_KEYS, &["attributes"], false, cx.diags);
    let mut ok = true;
    let base_name = match node.attr("base") {
        None => Some(("amazon-linux-2023".to_string(), None)),
        Some(a) => cx.name(&a.value).map(|n| (n, Some(a.value.span))),
    };
    let base = base_name.and_then(|(n, span)| match prog.bases.get(&n) {
        Some(def) => base_def(cx, def),
        None => {
            let help = suggest(&n, prog.bases.keys().map(|s| s.as_str())).unwrap_or_else(|| {
                format!(
                    "known bases: {}",
                    prog.bases.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            });
            let mut d =
                Diagnostic::new(Code::UnknownBase, format!("unknown base image `{n}`")).help(help);
            if let Some(s) = span {
                d = d.label(s, "no `base` definition by this name");
            }
            cx.push(d);
            None
        }
    });
    // User base definitions are checked even when unused.
    for def in prog.bases.values().filter(|d| !d.stdlib) {
        let _ = base_def(cx, def);
    }
    let instance = match node.attr("instance") {
        None => Some("t3.micro".to_string()),
        Some(a) => cx.string(&a.value).and_then(|s| {
            let (family, size) = s.split_once('.').unwrap_or((s.as_str(), ""));
            if INSTANCE_FAMILIES.contains(&family) && INSTANCE_SIZES.contains(&size) {
                Some(s)
            } else {
                let help = if INSTANCE_FAMILIES.contains(&family) {
                    suggest(size, INSTANCE_SIZES.iter().copied())
                        .map(|h| format!("{h} (size of `{family}`)"))
                } else {
                    suggest(family, INSTANCE_FAMILIES.iter().copied())
                        .map(|f| format!("did you mean `{f}.{size}`?"))
                };
                cx.push(
                    Diagnostic::new(
                        Code::InstanceType,
                        format!("unknown instance type `{}`", s.escape_debug()),
                    )
                    .label(a.value.span, "not a known EC2 family and size")
                    .help(help.unwrap_or_else(|| "use a type such as `t3.large`".into())),
                );
                None
            }
        }),
    };
    let volume_gib = match node.attr("volume") {
        None => Some(20),
        Some(a) => cx.size_gib(&a.value).and_then(|g| {
            if (8..=16384).contains(&g) {
                Some(g as u32)
            } else {
                cx.push(
                    Diagnostic::new(Code::Volume, format!("volume of {g}GiB out of range"))
                        .label(a.value.span, "root volumes are 8GiB to 16384GiB")
                        .help("use a size from 8GiB to 16384GiB"),
                );
                None
            }
        }),
    };
    let mut share = Vec::new();
    if let Some(a) = node.attr("share") {
        match cx.string_list(&a.value) {
            Some(items) => {
                for (s, span) in items {
                    if v::is_account(&s) {
                        if !share.contains(&s) {
                            share.push(s);
                        }
                    } else {
                        ok = false;
                        cx.push(
                            Diagnostic::new(
                                Code::AccountId,
                                format!("`{}` is not an AWS account id", s.escape_debug()),
                            )
                            .label(span, "account ids are exactly 12 digits")
                            .help("list the 12-digit ids of the accounts to share the AMI with"),
                        );
                    }
                }
            }
            None => ok = false,
        }
    }
    let mut chef = Vec::new();
    if let Some(a) = node.attr("chef") {
        match cx.string_list(&a.value) {
            Some(items) => {
                for (s, span) in items {
                    match v::run_list_entry(&s) {
                        RunEntry::Ok {
                            role,
                            name,
                            version,
                        } => chef.push(RunListItem {
                            kind: if role {
                                RunListKind::Role
                            } else {
                                RunListKind::Recipe
                            },
                            name,
                            version,
                        }),
                        RunEntry::BadVersion(ver) => {
                            ok = false;
                            cx.push(
                                Diagnostic::new(
                                    Code::CookbookVersion,
                                    format!("`{}` is not a cookbook version", ver.escape_debug()),
                                )
                                .label(span, "expected `x.y` or `x.y.z`")
                                .help("pin a version like `nginx@12.2.0`"),
                            );
                        }
                        RunEntry::Bad => {
                            ok = false;
                            cx.push(
                                Diagnostic::new(Code::RunList, format!("`{}` is not a run-list entry", s.escape_debug()))
                                    .label(span, "not a recipe or role")
                                    .help("write `\"cookbook\"`, `\"cookbook::recipe@1.2.3\"`, `\"recipe[...]\"` or `\"role[name]\"`"),
                            );
                        }
                    }
                }
            }
            None => ok = false,
        }
    }
    let attributes = attributes(cx, node.block("attributes"));
    let img = Image {
        base: base?,
        instance: instance?,
        volume_gib: volume_gib?,
        share,
        chef,
        attributes: attributes?,
    };
    ok.then_some(img)
}

fn base_def(cx: &mut Cx, def: &crate::resolve::Def) -> Option<BaseImage> {
    let mut d = Diagnostics::default();
    let node = Node::build(&def.block.items, def.block.had_errors, &mut d);
    cx.diags.extend(d);
    node.check_known(
        "base",
        &["owner", "filter", "user", "platform"],
        &[],
        false,
        cx.diags,
    );
    let mut get = |key: &str| -> Option<String> {
        match node.attr(key) {
            Some(a) => cx.string(&a.value),
            None => {
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
    let platform = match node.attr("platform") {
        Some(a) => cx.string(&a.value)?,
        None => "linux".to_string(),
    };
    if let (Some(o), Some(a)) = (&owner, node.attr("owner")) {
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
        platform,
    })
}

fn attributes(
    cx: &mut Cx,
    b: Option<&NBlock>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut root = serde_json::Map::new();
    let Some(b) = b else { return Some(root) };
    b.node
        .check_known("attributes", &[], &[], false, &mut Diagnostics::default());
    for blk in &b.node.blocks {
        cx.push(
            Diagnostic::new(
                Code::UnknownBlock,
                "`attributes` takes dotted keys, not blocks",
            )
            .label(blk.name.span, "a block")
            .help("write `a.b = value`"),
        );
    }
    let mut ok = true;
    let mut seen: Vec<(Vec<String>, Span)> = Vec::new();
    for a in &b.node.attrs {
        let path: Vec<String> = a.key.name.split('.').map(str::to_string).collect();
        if path.iter().any(|p| p.is_empty()) {
            ok = false;
            cx.push(
                Diagnostic::new(
                    Code::AttributePath,
                    format!("`{}` has an empty path segment", a.key.name),
                )
                .label(a.key.span, "empty segment")
                .help("remove the extra `.`"),
            );
            continue;
        }
        if let Some((_, other)) = seen
            .iter()
            .find(|(p, _)| p.starts_with(&path) || path.starts_with(p))
        {
            ok = false;
            cx.push(
                Diagnostic::new(
                    Code::AttributePath,
                    format!("`{}` conflicts with another attribute path", a.key.name),
                )
                .label(a.key.span, "this path")
                .label(*other, "overlaps this one")
                .help("a path cannot be both a value and an object"),
            );
            continue;
        }
        seen.push((path.clone(), a.key.span));
        let Some(value) = json_value(cx, &a.value) else {
            ok = false;
            continue;
        };
        insert_path(&mut root, &path, value);
    }
    ok.then_some(root)
}

/// Inserts `value` at a dotted path; conflicts were ruled out by the caller.
fn insert_path(
    map: &mut serde_json::Map<String, serde_json::Value>,
    path: &[String],
    value: serde_json::Value,
) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let serde_json::Value::Object(inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

fn json_value(cx: &mut Cx, val: &Value) -> Option<serde_json::Value> {
    Some(match &val.kind {
        ValueKind::Str(_) => serde_json::Value::String(cx.string(val)?),
        ValueKind::Int(n) => serde_json::Value::from(*n),
        ValueKind::Decimal(d) => serde_json::Number::from_f64(*d).map(serde_json::Value::Number)?,
        ValueKind::Bool(b) => serde_json::Value::Bool(*b),
        ValueKind::Invalid => return None,
        ValueKind::List(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| json_value(cx, i))
                .collect::<Option<Vec<_>>>()?,
        ),
        ValueKind::Name(n) => {
            cx.push(
                Diagnostic::new(
                    Code::WrongType,
                    "expected a string, number, boolean or list",
                )
                .label(val.span, "a bare name")
                .help(format!("put it in quotes: `\"{n}\"`")),
            );
            return None;
        }
        ValueKind::Quantity { .. } => {
            cx.push(
                Diagnostic::new(
                    Code::WrongType,
                    "Chef attributes take plain values, not quantities",
                )
                .label(val.span, "a quantity")
                .help("write the number the cookbook expects, e.g. `300` or `\"5m\"`"),
            );
            return None;
        }
    })
}

fn service(cx: &mut Cx, b: Option<&NBlock>, acx: &ArnCx, app: &Block) -> Option<Service> {
    let Some(b) = b else {
        if !app.had_errors {
            let span = app.label.as_ref().map(|l| l.span).unwrap_or(app.name.span);
            cx.push(
                Diagnostic::new(Code::MissingKey, "`app` is missing `service`")
                    .label(span, "this app needs a `service` block")
                    .help("add `service { port = 8080 }`"),
            );
        }
        return None;
    };
    let node = &b.node;
    node.check_known(
        "service",
        &["port", "health", "https", "public"],
        &[],
        false,
        cx.diags,
    );
    let port = match node.attr("port") {
        None => {
            if !node.had_errors {
                cx.push(
                    Diagnostic::new(Code::MissingKey, "`service` is missing `port`")
                        .label(b.name.span, "needs `port`")
                        .help("add `port = 8080`"),
                );
            }
            None
        }
        Some(a) => cx.int(&a.value).and_then(|p| {
            if p == 22 {
                cx.push(
                    Diagnostic::new(Code::SshPort, "the service port is 22 (SSH)")
                        .label(a.value.span, "SSH is never opened")
                        .help("serve the app on another port; hosts are reached through Session Manager"),
                );
                None
            } else if (1..=65535).contains(&p) {
                Some(p as u16)
            } else {
                cx.push(Diagnostic::new(Code::Port, format!("port `{p}` out of range")).label(a.value.span, "ports are 1 to 65535").help("use a port from 1 to 65535"));
                None
            }
        }),
    };
    let health = match node.attr("health") {
        None => Some("/".to_string()),
        Some(a) => cx.string(&a.value).and_then(|h| {
            if v::is_path(&h) && h.len() <= 1024 {
                Some(h)
            } else {
                cx.push(
                    Diagnostic::new(
                        Code::Path,
                        format!("health path `{}` is not a path", h.escape_debug()),
                    )
                    .label(a.value.span, "must start with `/`")
                    .help("write the request path, e.g. `\"/healthz\"`"),
                );
                None
            }
        }),
    };
    let https = match node.attr("https") {
        None => Some(None),
        Some(a) => arn(
            cx,
            &a.value,
            "an ACM certificate ARN",
            "acm",
            "arn:aws:acm:REGION:ACCOUNT:certificate/ID",
            v::is_certificate_resource,
            acx,
        )
        .map(Some),
    };
    let public = match node.attr("public") {
        None => Some(false),
        Some(a) => cx.boolean(&a.value),
    };
    Some(Service {
        port: port?,
        health: health?,
        https: https?,
        public: public?,
    })
}

fn network(cx: &mut Cx, b: Option<&NBlock>, public: bool) -> Option<Network> {
    let default_allow: Vec<String> = if public {
        vec!["0.0.0.0/0".into()]
    } else {
        vec![
            "10.0.0.0/8".into(),
            "172.16.0.0/12".into(),
            "192.168.0.0/16".into(),
        ]
    };
    let Some(b) = b else {
        return Some(Network {
            vpc: None,
            subnets: Vec::new(),
            allow: default_allow,
        });
    };
    let node = &b.node;
    node.check_known(
        "network",
        &["vpc", "subnets", "allow"],
        &[],
        false,
        cx.diags,
    );
    let mut ok = true;
    let vpc = match node.attr("vpc") {
        None => None,
        Some(a) => match cx.string(&a.value) {
            Some(s) if v::is_vpc(&s) => Some(s),
            Some(s) => {
                ok = false;
                cx.push(
                    Diagnostic::new(
                        Code::VpcId,
                        format!("`{}` is not a VPC id", s.escape_debug()),
                    )
                    .label(a.value.span, "expected `vpc-` and 8 or 17 hex digits")
                    .help("copy the id from the VPC console, e.g. `\"vpc-0a1b2c3d4e5f60718\"`"),
                );
                None
            }
            None => {
                ok = false;
                None
            }
        },
    };
    let mut subnets = Vec::new();
    if let Some(a) = node.attr("subnets") {
        match cx.string_list(&a.value) {
            Some(items) => {
                for (s, span) in &items {
                    if v::is_subnet(s) {
                        if subnets.contains(s) {
                            ok = false;
                            cx.push(
                                Diagnostic::new(
                                    Code::Duplicate,
                                    format!("subnet `{s}` is listed twice"),
                                )
                                .label(*span, "listed again")
                                .help("list each subnet once"),
                            );
                        } else {
                            subnets.push(s.clone());
                        }
                    } else {
                        ok = false;
                        cx.push(
                            Diagnostic::new(
                                Code::SubnetId,
                                format!("`{}` is not a subnet id", s.escape_debug()),
                            )
                            .label(*span, "expected `subnet-` and 8 or 17 hex digits")
                            .help("use ids like `\"subnet-0a1b2c3d4e5f60718\"`"),
                        );
                    }
                }
                if ok && subnets.len() < 2 {
                    ok = false;
                    cx.push(
                        Diagnostic::new(
                            Code::TooFewSubnets,
                            format!(
                                "{} subnet given; the load balancer needs two or more",
                                subnets.len()
                            ),
                        )
                        .label(a.value.span, "fewer than two subnets")
                        .help("list subnets in at least two Availability Zones"),
                    );
                }
            }
            None => ok = false,
        }
    }
    match (node.attr("vpc"), node.attr("subnets")) {
        (Some(a), None) if !node.had_errors => {
            ok = false;
            cx.push(
                Diagnostic::new(Code::TooFewSubnets, "`network` names a VPC but no subnets")
                    .label(a.key.span, "the load balancer needs subnets of this VPC")
                    .help("add `subnets = [\"subnet-...\", \"subnet-...\"]` (two or more)"),
            );
        }
        (None, Some(a)) if !node.had_errors => {
            ok = false;
            cx.push(
                Diagnostic::new(Code::MissingKey, "`network` lists subnets but no VPC")
                    .label(a.key.span, "subnets of which VPC?")
                    .help("add `vpc = \"vpc-...\"`"),
            );
        }
        _ => {}
    }
    let allow = match node.attr("allow") {
        None => default_allow,
        Some(a) => match cx.string_list(&a.value) {
            Some(items) => {
                let mut out = Vec::new();
                for (s, span) in items {
                    match v::cidr(&s) {
                        Ok(()) => {
                            if !out.contains(&s) {
                                out.push(s)
                            }
                        }
                        Err(fix) => {
                            ok = false;
                            let help = match fix {
                                Some(f) => format!("host bits are set; did you mean `{f}`?"),
                                None => "write an IPv4 CIDR such as `10.0.0.0/8`".into(),
                            };
                            cx.push(
                                Diagnostic::new(
                                    Code::Cidr,
                                    format!("`{}` is not a valid CIDR", s.escape_debug()),
                                )
                                .label(span, "invalid CIDR")
                                .help(help),
                            );
                        }
                    }
                }
                if out.is_empty() && ok {
                    ok = false;
                    cx.push(
                        Diagnostic::new(Code::Cidr, "`allow` is empty")
                            .label(a.value.span, "nothing could reach the load balancer")
                            .help("list the CIDRs of the clients, e.g. `[\"10.0.0.0/8\"]`"),
                    );
                }
                out
            }
            None => {
                ok = false;
                Vec::new()
            }
        },
    };
    ok.then_some(Network {
        vpc,
        subnets,
        allow,
    })
}

fn fleet(cx: &mut Cx, b: Option<&NBlock>) -> Option<Fleet> {
    let empty = Node::default();
    let node = b.map(|b| &b.node).unwrap_or(&empty);
    node.check_known(
        "fleet",
        &["min", "max", "desired", "cpu", "launch"],
        &[],
        false,
        cx.diags,
    );
    let mut size = |key: &str| -> Result<Option<(u32, Span)>, ()> {
        match node.attr(key) {
            None => Ok(None),
            Some(a) => match cx.int(&a.value) {
                Some(n) if (0..=10_000).contains(&n) => Ok(Some((n as u32, a.value.span))),
                Some(n) => {
                    cx.push(
                        Diagnostic::new(Code::Range, format!("`{key}` of {n} out of range"))
                            .label(a.value.span, "fleet sizes are 0 to 10000")
                            .help("use a size from 0 to 10000"),
                    );
                    Err(())
                }
                None => Err(()),
            },
        }
    };
    let (min, max, desired) = (size("min"), size("max"), size("desired"));
    let cpu = match node.attr("cpu") {
        None => Some(70),
        Some(a) => cx.percent(&a.value),
    };
    let launch = match node.attr("launch") {
        None => Some(Launch::Template),
        Some(a) => cx
            .choice(&a.value, "launch kind", &["template", "configuration"])
            .map(|c| {
                if c == "configuration" {
                    cx.push(
                        Diagnostic::new(
                            Code::LaunchConfiguration,
                            "launch configurations are deprecated",
                        )
                        .label(
                            a.value.span,
                            "accounts created on or after 2024-10-01 cannot create them",
                        )
                        .help("use `launch = template` (the default) when the account allows"),
                    );
                    Launch::Configuration
                } else {
                    Launch::Template
                }
            }),
    };
    let (Ok(min), Ok(max), Ok(desired)) = (min, max, desired) else {
        return None;
    };
    let min_v = min.map(|m| m.0).unwrap_or(1);
    let desired_v = desired.map(|d| d.0).unwrap_or(min_v);
    let max_v = max.map(|m| m.0).unwrap_or(min_v.max(desired_v).max(1));
    let mut ok = true;
    let label_of = |x: Option<(u32, Span)>| x.map(|x| x.1);
    if max_v < 1 {
        ok = false;
        let d = Diagnostic::new(Code::FleetSize, "`max` must be at least 1")
            .help("set `max = 1` or more");
        cx.push(match label_of(max) {
            Some(s) => d.label(s, "max is 0"),
            None => d,
        });
    } else if !(min_v <= desired_v && desired_v <= max_v) {
        ok = false;
        let mut d = Diagnostic::new(
            Code::FleetSize,
            format!("fleet needs min <= desired <= max, got {min_v} / {desired_v} / {max_v}"),
        )
        .help("adjust the sizes so that min <= desired <= max");
        for (x, what) in [(min, "min"), (desired, "desired"), (max, "max")] {
            if let Some((n, s)) = x {
                d = d.label(s, format!("{what} = {n}"));
            }
        }
        if d.labels.is_empty() {
            if let Some(b) = b {
                d = d.label(b.name.span, "in this fleet");
            }
        }
        cx.push(d);
    }
    let f = Fleet {
        min: min_v,
        max: max_v,
        desired: desired_v,
        cpu: cpu?,
        launch: launch?,
    };
    ok.then_some(f)
}

fn access(cx: &mut Cx, b: Option<&NBlock>) -> Option<Access> {
    let Some(b) = b else {
        return Some(Access::default());
    };
    let node = &b.node;
    node.check_known(
        "access",
        &["s3", "dynamodb", "sqs", "secrets"],
        &[],
        false,
        cx.diags,
    );
    let mut ok = true;
    let mut list =
        |key: &str, valid: fn(&str) -> bool, code: Code, what: &str, help: &str| -> Vec<String> {
            let mut out = Vec::new();
            if let Some(a) = node.attr(key) {
                match cx.string_list(&a.value) {
                    Some(items) => {
                        for (s, span) in items {
                            if valid(&s) {
                                if !out.contains(&s) {
                                    out.push(s);
                                }
                            } else {
                                ok = false;
                                cx.push(
                                    Diagnostic::new(
                                        code,
                                        format!("`{}` is not {what}", s.escape_debug()),
                                    )
                                    .label(span, format!("not {what}"))
                                    .help(help.to_string()),
                                );
                            }
                        }
                    }
                    None => ok = false,
                }
            }
            out
        };
    let s3 = list(
        "s3",
        v::is_bucket,
        Code::BucketName,
        "a valid S3 bucket name",
        "bucket names are 3-63 lowercase letters, digits, `.` and `-`",
    );
    let dynamodb = list(
        "dynamodb",
        v::is_table,
        Code::ResourceName,
        "a valid DynamoDB table name",
        "table names are 3-255 of letters, digits, `_`, `.`, `-`",
    );
    let sqs = list(
        "sqs",
        v::is_queue,
        Code::ResourceName,
        "a valid SQS queue name",
        "queue names are 1-80 of letters, digits, `_`, `-`",
    );
    let secrets = list(
        "secrets",
        |s| v::is_path(s) && s.len() <= 2048,
        Code::Path,
        "an SSM parameter path",
        "parameter paths start with `/`, e.g. `\"/app/db-password\"`",
    );
    ok.then_some(Access {
        s3,
        dynamodb,
        sqs,
        secrets,
    })
}

fn logs(
    cx: &mut Cx,
    b: Option<&NBlock>,
    app: &str,
    env: &str,
    account: &str,
    app_block: &Block,
) -> Option<Logs> {
    let empty = Node::default();
    let node = b.map(|b| &b.node).unwrap_or(&empty);
    node.check_known("logs", &["bucket", "retain"], &[], false, cx.diags);
    let bucket = match node.attr("bucket") {
        Some(a) => cx.string(&a.value).and_then(|s| {
            if v::is_bucket(&s) {
                Some(s)
            } else {
                cx.push(
                    Diagnostic::new(Code::BucketName, format!("`{}` is not a valid S3 bucket name", s.escape_debug()))
                        .label(a.value.span, "invalid bucket name")
                        .help("bucket names are 3-63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit"),
                );
                None
            }
        }),
        None => {
            let s = format!("{app}-{env}-logs-{account}");
            if account.is_empty() || cx.diags.has_errors() {
                // The account or app name may be what is wrong; that is
                // reported already and would only echo here.
                None
            } else if v::is_bucket(&s) {
                Some(s)
            } else {
                let span = app_block.label.as_ref().map(|l| l.span).unwrap_or(app_block.name.span);
                cx.push(
                    Diagnostic::new(Code::BucketName, format!("the default log bucket name `{s}` is not valid"))
                        .label(span, "app and env names make the bucket name too long")
                        .help("set `logs { bucket = \"...\" }` explicitly"),
                );
                None
            }
        }
    };
    let retain_days = match node.attr("retain") {
        None => Some(90),
        Some(a) => cx.duration(&a.value).and_then(|secs| {
            let days = secs / 86400;
            if secs % 86400 == 0 && RETENTIONS.contains(&(days as u32)) && days <= u32::MAX as u64 {
                Some(days as u32)
            } else {
                let mut near: Vec<u32> = RETENTIONS.to_vec();
                near.sort_by_key(|r| (i64::from(*r) - days as i64).unsigned_abs());
                let mut near: Vec<u32> = near.into_iter().take(3).collect();
                near.sort();
                let list: Vec<String> = near.iter().map(|d| format!("{d}d")).collect();
                cx.push(
                    Diagnostic::new(
                        Code::Retention,
                        "CloudWatch Logs does not allow this retention",
                    )
                    .label(a.value.span, "not an allowed retention")
                    .help(format!(
                        "allowed retentions near {}d: {}",
                        days,
                        list.join(", ")
                    )),
                );
                None
            }
        }),
    };
    Some(Logs {
        bucket: bucket?,
        retain_days: retain_days?,
    })
}

fn release(cx: &mut Cx, b: Option<&NBlock>) -> Option<Release> {
    let empty = Node::default();
    let node = b.map(|b| &b.node).unwrap_or(&empty);
    node.check_known(
        "release",
        &["strategy", "shift", "bake"],
        &[],
        false,
        cx.diags,
    );
    let strategy = match node.attr("strategy") {
        None => Some(Strategy::BlueGreen),
        Some(a) => cx
            .choice(&a.value, "release strategy", &["blue-green", "rolling"])
            .map(|s| {
                if s == "rolling" {
                    Strategy::Rolling
                } else {
                    Strategy::BlueGreen
                }
            }),
    };
    let shift = match node.attr("shift") {
        None => Some(vec![100]),
        Some(a) => {
            if strategy == Some(Strategy::Rolling) {
                cx.push(
                    Diagnostic::new(Code::Shift, "`shift` applies only to blue-green releases")
                        .label(a.span, "a rolling release replaces instances in place")
                        .help("remove `shift`, or use `strategy = blue-green`"),
                );
                None
            } else {
                match &a.value.kind {
                    ValueKind::List(items) => {
                        let steps: Vec<Option<u8>> = items.iter().map(|i| cx.percent(i)).collect();
                        if steps.iter().any(Option::is_none) {
                            None
                        } else {
                            let steps: Vec<u8> = steps.into_iter().flatten().collect();
                            let rising = steps.windows(2).all(|w| w[0] < w[1]);
                            if steps.last() != Some(&100) || !rising {
                                let what = if !rising {
                                    "shifts must strictly increase"
                                } else {
                                    "the last shift must be 100%"
                                };
                                cx.push(
                                    Diagnostic::new(Code::Shift, format!("traffic shifts must rise to 100%: {what}"))
                                        .label(a.value.span, what)
                                        .help("write increasing percentages ending at 100%, e.g. `[10%, 50%, 100%]`"),
                                );
                                None
                            } else {
                                Some(steps)
                            }
                        }
                    }
                    _ => {
                        let _ = cx.string_list(&a.value);
                        None
                    }
                }
            }
        }
    };
    let bake_seconds = match node.attr("bake") {
        None => Some(300),
        Some(a) => cx
            .duration(&a.value)
            .and_then(|s| within_limits(cx, s, a.value.span, "bake")),
    };
    let strategy = strategy?;
    let shift = if strategy == Strategy::Rolling {
        Some(vec![100])
    } else {
        shift
    };
    Some(Release {
        strategy,
        shift: shift?,
        bake_seconds: bake_seconds?,
    })
}

fn within_limits(cx: &mut Cx, secs: u64, span: Span, what: &str) -> Option<u64> {
    if (1..=MAX_SECONDS).contains(&secs) {
        Some(secs)
    } else {
        cx.push(
            Diagnostic::new(
                Code::DurationLimit,
                format!("`{what}` must be between 1s and 365d"),
            )
            .label(
                span,
                if secs == 0 {
                    "zero"
                } else {
                    "longer than Step Functions allows"
                },
            )
            .help("Step Functions executions and waits last at most one year"),
        );
        None
    }
}

fn pipeline(cx: &mut Cx, b: Option<&NBlock>, app_account: &str, acx: &ArnCx) -> Option<Pipeline> {
    let empty = Node::default();
    let node = b.map(|b| &b.node).unwrap_or(&empty);
    node.check_known(
        "pipeline",
        &["workers", "timeout", "retry", "notify", "account"],
        &[],
        false,
        cx.diags,
    );
    let workers = match node.attr("workers") {
        None => Some(Workers::Ssm),
        Some(a) => cx
            .choice(&a.value, "worker kind", &["ssm", "lambda", "activity"])
            .map(|w| match w {
                "lambda" => Workers::Lambda,
                "activity" => Workers::Activity,
                _ => Workers::Ssm,
            }),
    };
    let timeout_seconds = match node.attr("timeout") {
        None => Some(7200),
        Some(a) => cx
            .duration(&a.value)
            .and_then(|s| within_limits(cx, s, a.value.span, "timeout")),
    };
    let retry = match node.attr("retry") {
        None => Some(2),
        Some(a) => cx.int(&a.value).and_then(|n| {
            if (0..=10).contains(&n) {
                Some(n as u32)
            } else {
                cx.push(
                    Diagnostic::new(Code::Range, format!("`retry` of {n} out of range"))
                        .label(a.value.span, "retries are 0 to 10")
                        .help("use a value from 0 to 10"),
                );
                None
            }
        }),
    };
    let account = match node.attr("account") {
        None => Some(app_account.to_string()),
        Some(a) => account_value(cx, &a.value),
    };
    let mut nacx = ArnCx {
        region: acx.region.clone(),
        accounts: acx.accounts.clone(),
        env: acx.env.clone(),
        account_span: acx.account_span,
    };
    if let Some(a) = &account {
        if !nacx.accounts.contains(a) {
            nacx.accounts.push(a.clone());
        }
    }
    let notify = match node.attr("notify") {
        None => Some(None),
        Some(a) => arn(
            cx,
            &a.value,
            "an SNS topic ARN",
            "sns",
            "arn:aws:sns:REGION:ACCOUNT:TOPIC",
            v::is_topic_resource,
            &nacx,
        )
        .map(Some),
    };
    Some(Pipeline {
        workers: workers?,
        timeout_seconds: timeout_seconds?,
        retry: retry?,
        notify: notify?,
        account: account?,
    })
}
