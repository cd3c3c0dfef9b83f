//! From a run list to the cookbooks and roles to vendor, or to located
//! diagnostics: every entry resolves (cookbook, recipe file, version pin;
//! roles recursively, cycles reported), every `depends` of every needed
//! cookbook resolves with its constraint, and a lock file's versions hold.
//!
//! Every diagnostic is located at the spec's run-list entry that led to the
//! problem, and says the way there (`via role[base]`), so a wrong pin is
//! found at `paasc check`, not half an hour into a bake.

use super::version::Version;
use super::Repo;
use crate::diagnostics::{suggest, Code, Diagnostic};
use crate::model::{ChefVendor, RunListItem, RunListKind, VendoredCookbook};
use crate::source::Span;
use crate::validate::values::{run_list_entry, RunEntry};
use std::collections::{BTreeMap, BTreeSet};

/// Why a cookbook is needed: the spec entry's span and the way there.
#[derive(Clone)]
struct Origin {
    span: Span,
    /// `role[a] -> role[b]` (empty for a spec entry itself).
    via: Vec<String>,
}

impl Origin {
    fn via_text(&self) -> String {
        if self.via.is_empty() {
            String::new()
        } else {
            format!(" (via {})", self.via.join(" -> "))
        }
    }

    /// A diagnostic labelled at the spec entry: what it needs, and by which roles.
    fn needs(&self, code: Code, message: impl Into<String>, what: &str) -> Diagnostic {
        Diagnostic::new(code, message).label(self.span, format!("{what}{}", self.via_text()))
    }
}

struct Walk<'r> {
    repo: &'r Repo,
    app: &'r str,
    diags: Vec<Diagnostic>,
    /// cookbook -> the first origin that needed it.
    cookbooks: BTreeMap<String, Origin>,
    roles: BTreeMap<String, Origin>,
}

/// Checks the run list against the repo; the closure to vendor when it
/// holds, every problem otherwise.
pub fn resolve(
    repo: &Repo,
    run_list: &[(RunListItem, Span)],
    app: &str,
) -> Result<ChefVendor, Vec<Diagnostic>> {
    let mut w = Walk {
        repo,
        app,
        diags: Vec::new(),
        cookbooks: BTreeMap::new(),
        roles: BTreeMap::new(),
    };
    for (item, span) in run_list {
        let origin = Origin {
            span: *span,
            via: Vec::new(),
        };
        w.entry(item, &origin, &mut Vec::new());
    }
    w.dependencies();
    w.lock();
    w.text_only();
    if !w.diags.is_empty() {
        return Err(w.diags);
    }
    Ok(w.vendor())
}

impl Walk<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn broken(&mut self, path: &str, origin: &Origin, what: &str) -> bool {
        let Some(why) = self.repo.broken.get(path) else {
            return false;
        };
        let d = origin
            .needs(
                Code::ChefRepoFile,
                format!("{what} cannot be read from the chef repo: `{path}` {why}"),
                &format!("needs {what}"),
            )
            .help(format!("fix `{}/{path}`", self.repo.root));
        self.push(d);
        true
    }

    fn entry(&mut self, item: &RunListItem, origin: &Origin, roles: &mut Vec<String>) {
        match item.kind {
            RunListKind::Recipe => self.recipe(item, origin),
            RunListKind::Role => self.role(&item.name, origin, roles),
        }
    }

    fn recipe(&mut self, item: &RunListItem, origin: &Origin) {
        let (cookbook, recipe) = item
            .name
            .split_once("::")
            .unwrap_or((item.name.as_str(), "default"));
        let Some(cb) = self.repo.cookbooks.get(cookbook) else {
            if self.broken(
                &format!("cookbooks/{cookbook}"),
                origin,
                &format!("cookbook `{cookbook}`"),
            ) {
                return;
            }
            let help = suggest(cookbook, self.repo.cookbooks.keys().map(String::as_str))
                .unwrap_or_else(|| {
                    format!(
                        "add it as `{}/cookbooks/{cookbook}/` (with metadata.rb and recipes/{recipe}.rb)",
                        self.repo.root
                    )
                });
            let d = origin
                .needs(
                    Code::ChefCookbookMissing,
                    format!("the chef repo has no cookbook `{cookbook}`"),
                    &format!("needs cookbook `{cookbook}`"),
                )
                .help(help);
            self.push(d);
            return;
        };
        if !cb.recipes.contains(recipe) {
            let known: Vec<&str> = cb.recipes.iter().map(String::as_str).collect();
            let help = suggest(recipe, known.iter().copied()).unwrap_or_else(|| {
                if known.is_empty() {
                    format!("cookbook `{cookbook}` has no recipes/ at all")
                } else {
                    format!("its recipes: {}", known.join(", "))
                }
            });
            let d = origin
                .needs(
                    Code::ChefRecipeMissing,
                    format!("cookbook `{cookbook}` has no recipe `{recipe}` (recipes/{recipe}.rb)"),
                    &format!("needs `{cookbook}::{recipe}`"),
                )
                .help(help);
            self.push(d);
        }
        if let Some(pin) = &item.version {
            if let Some(want) = Version::parse(pin) {
                if cb.version != want {
                    let d = origin
                        .needs(
                            Code::ChefVersionMismatch,
                            format!(
                                "`{cookbook}` is {} in the chef repo, not {want}",
                                cb.version
                            ),
                            &format!("pins {cookbook} {pin}"),
                        )
                        .help(format!(
                        "pin `{cookbook}@{}`, or put version {want} of the cookbook in the repo",
                        cb.version
                    ));
                    self.push(d);
                }
            }
        }
        self.cookbooks
            .entry(cookbook.to_string())
            .or_insert_with(|| origin.clone());
    }

    fn role(&mut self, name: &str, origin: &Origin, stack: &mut Vec<String>) {
        if let Some(pos) = stack.iter().position(|r| r == name) {
            let mut cycle: Vec<String> = stack
                .get(pos..)
                .unwrap_or_default()
                .iter()
                .map(|r| format!("role[{r}]"))
                .collect();
            cycle.push(format!("role[{name}]"));
            let d = Diagnostic::new(
                Code::ChefRoleCycle,
                format!("roles include each other: {}", cycle.join(" -> ")),
            )
            .label(origin.span, "this role's run list comes back to itself")
            .help("remove one of the role[...] entries that close the circle");
            self.push(d);
            return;
        }
        if name == self.app {
            let d = origin
                .needs(
                    Code::ChefRepoFile,
                    format!("role `{name}` is the one paasc generates for the app"),
                    &format!("needs role `{name}`"),
                )
                .help("paasc writes chef/roles/<app>.json from the spec: rename the repo's role");
            self.push(d);
            return;
        }
        let Some(role) = self.repo.roles.get(name) else {
            if self.broken(
                &format!("roles/{name}.json"),
                origin,
                &format!("role `{name}`"),
            ) || self.broken(
                &format!("roles/{name}.rb"),
                origin,
                &format!("role `{name}`"),
            ) {
                return;
            }
            let help = suggest(name, self.repo.roles.keys().map(String::as_str))
                .unwrap_or_else(|| format!("add `{}/roles/{name}.json`", self.repo.root));
            let d = origin
                .needs(
                    Code::ChefRoleMissing,
                    format!("the chef repo has no role `{name}`"),
                    &format!("needs role `{name}`"),
                )
                .help(help);
            self.push(d);
            return;
        };
        self.roles
            .entry(name.to_string())
            .or_insert_with(|| origin.clone());
        let entries = role.run_list.clone();
        stack.push(name.to_string());
        let mut inner = origin.clone();
        inner.via.push(format!("role[{name}]"));
        for text in entries {
            match run_list_entry(&text) {
                RunEntry::Ok {
                    role,
                    name,
                    version,
                } => self.entry(&RunListItem::new(role, name, version), &inner, stack),
                RunEntry::BadVersion(_) | RunEntry::Bad => {
                    let d = Diagnostic::new(
                        Code::ChefRepoFile,
                        format!("role `{}` has `{}` in its run list, which is not a run-list entry", stack.last().map(String::as_str).unwrap_or(""), text.escape_debug()),
                    )
                    .label(inner.span, format!("needs this role{}", inner.via_text()))
                    .help("write `recipe[cookbook::recipe@1.2.3]` or `role[name]` in the role's run_list");
                    self.push(d);
                }
            }
        }
        stack.pop();
    }

    /// Every `depends` of every needed cookbook, transitively.
    fn dependencies(&mut self) {
        let mut queue: Vec<String> = self.cookbooks.keys().cloned().collect();
        let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
        while let Some(name) = queue.pop() {
            let Some(cb) = self.repo.cookbooks.get(&name) else {
                continue;
            };
            let Some(origin) = self.cookbooks.get(&name).cloned() else {
                continue;
            };
            for dep in &cb.depends {
                let mut via = origin.clone();
                via.via.push(format!("{name} {}", cb.version));
                match self.repo.cookbooks.get(&dep.name) {
                    None => {
                        if self.broken(
                            &format!("cookbooks/{}", dep.name),
                            &via,
                            &format!("cookbook `{}`", dep.name),
                        ) {
                            continue;
                        }
                        let want = dep
                            .constraint
                            .as_ref()
                            .map_or(String::new(), |c| format!(" ({})", c.text));
                        let d = Diagnostic::new(
                            Code::ChefDependencyMissing,
                            format!("cookbook `{name}` depends on `{}`{want}, which is not in the chef repo", dep.name),
                        )
                        .label(via.span, format!("needs `{name}`{}", origin.via_text()))
                        .help(format!("add `{}/cookbooks/{}/`", self.repo.root, dep.name));
                        self.push(d);
                    }
                    Some(found) => {
                        if let Some(c) = &dep.constraint {
                            if !c.allows(found.version) {
                                let d = Diagnostic::new(
                                    Code::ChefDependencyVersion,
                                    format!(
                                        "cookbook `{name}` depends on `{} {}`, but the chef repo has {} {}",
                                        dep.name, c.text, dep.name, found.version
                                    ),
                                )
                                .label(via.span, format!("needs `{name}`{}", origin.via_text()))
                                .help(format!(
                                    "put a version of `{}` that satisfies `{}` in the repo, or relax the constraint in {name}'s metadata",
                                    dep.name, c.text
                                ));
                                self.push(d);
                            }
                        }
                        if seen.insert(dep.name.clone()) {
                            self.cookbooks.insert(dep.name.clone(), via);
                            queue.push(dep.name.clone());
                        }
                    }
                }
            }
        }
    }

    /// The lock file's versions hold for every needed cookbook.
    fn lock(&mut self) {
        let Some(lock) = &self.repo.lock else { return };
        let mut found = Vec::new();
        for (name, origin) in &self.cookbooks {
            let Some(cb) = self.repo.cookbooks.get(name) else {
                continue;
            };
            match lock.versions.get(name) {
                Some(v) if *v == cb.version => {}
                Some(v) => found.push(
                    origin.needs(Code::ChefLockMismatch, format!(
                            "{} locks `{name}` at {v}, but the chef repo has {}",
                            lock.file, cb.version
                        ), &format!("needs `{name}`"))
                    .help(format!(
                        "update the lock (`chef update` or `berks update`), or put `{name}` {v} in the repo"
                    )),
                ),
                None => found.push(
                    origin.needs(Code::ChefLockMismatch, format!("{} does not lock `{name}`", lock.file), &format!("needs `{name}`"))
                    .help("update the lock (`chef install` or `berks install`) so it holds every cookbook the run list needs"),
                ),
            }
        }
        self.diags.extend(found);
    }

    /// Vendored files must be UTF-8 text (artifacts are text).
    fn text_only(&mut self) {
        let mut found = Vec::new();
        for (name, origin) in &self.cookbooks {
            let Some(cb) = self.repo.cookbooks.get(name) else {
                continue;
            };
            for f in &cb.files {
                if std::str::from_utf8(&f.bytes).is_err() {
                    found.push(
                        origin.needs(Code::ChefRepoFile, format!("`cookbooks/{name}/{}` is not UTF-8 text", f.path), &format!("needs `{name}`"))
                        .help("paasc vendors text files only: fetch binaries at converge time from a bucket the platform controls (remote_file with a checksum), or add the path to the cookbook's chefignore"),
                    );
                }
            }
        }
        self.diags.extend(found);
    }

    fn vendor(&self) -> ChefVendor {
        let mut cookbooks = Vec::new();
        let mut files = Vec::new();
        for name in self.cookbooks.keys() {
            if let Some(cb) = self.repo.cookbooks.get(name) {
                cookbooks.push(VendoredCookbook {
                    name: name.clone(),
                    version: cb.version.to_string(),
                });
                for f in &cb.files {
                    files.push((
                        format!("cookbooks/{name}/{}", f.path),
                        String::from_utf8_lossy(&f.bytes).into_owned(),
                    ));
                }
            }
        }
        let mut roles = Vec::new();
        for name in self.roles.keys() {
            if let Some(r) = self.repo.roles.get(name) {
                roles.push(name.clone());
                files.push((
                    format!("roles/{name}.json"),
                    String::from_utf8_lossy(&r.bytes).into_owned(),
                ));
            }
        }
        files.sort();
        ChefVendor {
            repo: self.repo.root.clone(),
            cookbooks,
            roles,
            files,
        }
    }
}

/// What a run list needs from a chef repo, for the message of a deploy
/// that has none: cookbooks and roles by name.
pub fn needs(run_list: &[RunListItem]) -> (Vec<String>, Vec<String>) {
    let mut cookbooks = BTreeSet::new();
    let mut roles = BTreeSet::new();
    for item in run_list {
        match item.kind {
            RunListKind::Recipe => {
                let cb = item.name.split("::").next().unwrap_or(&item.name);
                cookbooks.insert(cb.to_string());
            }
            RunListKind::Role => {
                roles.insert(item.name.clone());
            }
        }
    }
    (cookbooks.into_iter().collect(), roles.into_iter().collect())
}
