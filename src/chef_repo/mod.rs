//! The Chef repo beside a spec (or given with `--chef-repo DIR`): the
//! cookbooks and roles its run list needs, checked at compile time and
//! vendored into the build so the builder converges offline.
//!
//! Layout (Chef's own): `cookbooks/<name>/metadata.rb` or `metadata.json`,
//! `cookbooks/<name>/recipes/<recipe>.rb`, any other files of the cookbook,
//! `roles/<name>.json`; optionally `Policyfile.lock.json` or
//! `Berksfile.lock` at the repo's root, whose versions are checked (never
//! fetched: nothing here reaches the network).
//!
//! Input: a directory read through the `Loader`. Output: a `Repo` (or none
//! when the directory has neither `cookbooks/` nor `roles/`); `resolve`
//! turns a run list into the closure to vendor or located diagnostics.
//! Invariants: hidden files and directories (`.git`, `.kitchen`) and paths
//! a `chefignore` names are never read into a closure; files are text
//! (UTF-8), kept as read; everything is sorted by path, so vendoring is
//! deterministic.

pub mod resolve;
pub mod version;

use crate::resolve::Loader;
use std::collections::{BTreeMap, BTreeSet};
use version::{Constraint, Version};

/// One file of a cookbook, by its path inside the cookbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    pub constraint: Option<Constraint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookbook {
    pub name: String,
    pub version: Version,
    pub depends: Vec<Dependency>,
    /// Recipe names (`recipes/<name>.rb`).
    pub recipes: BTreeSet<String>,
    pub files: Vec<RepoFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub run_list: Vec<String>,
    pub bytes: Vec<u8>,
}

/// Versions a lock file pins (cookbook -> version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub file: &'static str,
    pub versions: BTreeMap<String, Version>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Repo {
    /// The directory as given (for messages).
    pub root: String,
    pub cookbooks: BTreeMap<String, Cookbook>,
    pub roles: BTreeMap<String, Role>,
    pub lock: Option<Lock>,
    /// Files that could not be read as Chef reads them: (repo path, why).
    /// Reported only when the run list needs them.
    pub broken: BTreeMap<String, String>,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

/// Every file under `dir` (relative paths, sorted), skipping hidden entries
/// and what `ignore` matches.
fn walk(loader: &dyn Loader, dir: &str, ignore: &[String]) -> Vec<String> {
    fn go(loader: &dyn Loader, base: &str, rel: &str, ignore: &[String], out: &mut Vec<String>) {
        let Ok(entries) = loader.list(&join(base, rel)) else {
            return;
        };
        for (name, is_dir) in entries {
            if name.starts_with('.') {
                continue;
            }
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if ignore.iter().any(|g| glob(g, &path)) {
                continue;
            }
            if is_dir {
                go(loader, base, &path, ignore, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    go(loader, dir, "", ignore, &mut out);
    out.sort();
    out
}

/// `chefignore` globs: `*` matches within a path segment, `**` across them,
/// `?` one character; a pattern without `/` also matches a file's name.
fn glob(pattern: &str, path: &str) -> bool {
    fn m(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) if p.get(1) == Some(&b'*') => {
                let rest = p.get(2..).unwrap_or_default();
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=s.len()).any(|i| m(rest, s.get(i..).unwrap_or_default()))
            }
            (Some(b'*'), _) => {
                let rest = p.get(1..).unwrap_or_default();
                (0..=s.len())
                    .take_while(|i| *i == 0 || s.get(i - 1) != Some(&b'/'))
                    .any(|i| m(rest, s.get(i..).unwrap_or_default()))
            }
            (Some(b'?'), Some(c)) if *c != b'/' => m(
                p.get(1..).unwrap_or_default(),
                s.get(1..).unwrap_or_default(),
            ),
            (Some(a), Some(b)) if a == b => m(
                p.get(1..).unwrap_or_default(),
                s.get(1..).unwrap_or_default(),
            ),
            _ => false,
        }
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    m(pattern.as_bytes(), path.as_bytes())
        || (!pattern.contains('/') && m(pattern.as_bytes(), name.as_bytes()))
}

fn ignore_lines(loader: &dyn Loader, file: &str) -> Vec<String> {
    loader
        .read(file)
        .ok()
        .map(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The repo at `dir`, or None when it has neither `cookbooks/` nor `roles/`.
pub fn load(dir: &str, loader: &dyn Loader) -> Option<Repo> {
    let cookbooks_dir = join(dir, "cookbooks");
    let roles_dir = join(dir, "roles");
    let cookbook_entries = loader.list(&cookbooks_dir).ok();
    let role_entries = loader.list(&roles_dir).ok();
    if cookbook_entries.is_none() && role_entries.is_none() {
        return None;
    }
    let mut repo = Repo {
        root: dir.to_string(),
        ..Repo::default()
    };
    let repo_ignore = ignore_lines(loader, &join(dir, "chefignore"));
    for (name, is_dir) in cookbook_entries.unwrap_or_default() {
        if !is_dir || name.starts_with('.') {
            continue;
        }
        let cb_dir = join(&cookbooks_dir, &name);
        let mut ignore = repo_ignore.clone();
        ignore.extend(ignore_lines(loader, &join(&cb_dir, "chefignore")));
        let where_ = format!("cookbooks/{name}");
        match cookbook(loader, &cb_dir, &name, &ignore) {
            Ok(cb) => {
                repo.cookbooks.insert(cb.name.clone(), cb);
            }
            Err(why) => {
                repo.broken.insert(where_, why);
            }
        }
    }
    for (file, is_dir) in role_entries.unwrap_or_default() {
        if is_dir || file.starts_with('.') {
            continue;
        }
        let Some(name) = file.strip_suffix(".json") else {
            if let Some(name) = file.strip_suffix(".rb") {
                repo.broken.insert(
                    format!("roles/{file}"),
                    format!("role `{name}` is Ruby; paasc reads JSON roles (`knife role show {name} -F json > roles/{name}.json`)"),
                );
            }
            continue;
        };
        let path = join(&roles_dir, &file);
        match loader
            .read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| role(name, b))
        {
            Ok(r) => {
                repo.roles.insert(r.name.clone(), r);
            }
            Err(why) => {
                repo.broken.insert(format!("roles/{file}"), why);
            }
        }
    }
    repo.lock = lock(loader, dir);
    Some(repo)
}

fn cookbook(
    loader: &dyn Loader,
    dir: &str,
    dir_name: &str,
    ignore: &[String],
) -> Result<Cookbook, String> {
    let (name, version, depends) = if let Ok(b) = loader.read(&join(dir, "metadata.json")) {
        metadata_json(&b)?
    } else if let Ok(b) = loader.read(&join(dir, "metadata.rb")) {
        metadata_rb(&String::from_utf8_lossy(&b))?
    } else {
        return Err("has no metadata.rb or metadata.json".into());
    };
    let name = name.unwrap_or_else(|| dir_name.to_string());
    if name != dir_name {
        return Err(format!(
            "its metadata names it `{name}`, but it is in `cookbooks/{dir_name}` (Chef finds cookbooks by directory)"
        ));
    }
    let version = version.ok_or("its metadata has no `version`")?;
    let mut files = Vec::new();
    let mut recipes = BTreeSet::new();
    for path in walk(loader, dir, ignore) {
        let bytes = loader
            .read(&join(dir, &path))
            .map_err(|e| format!("`{path}` cannot be read: {e}"))?;
        if let Some(recipe) = path
            .strip_prefix("recipes/")
            .and_then(|r| r.strip_suffix(".rb"))
            .filter(|r| !r.contains('/'))
        {
            recipes.insert(recipe.to_string());
        }
        files.push(RepoFile { path, bytes });
    }
    Ok(Cookbook {
        name,
        version,
        depends,
        recipes,
        files,
    })
}

type Metadata = (Option<String>, Option<Version>, Vec<Dependency>);

fn dependency(name: &str, constraint: Option<&str>) -> Result<Dependency, String> {
    let constraint = match constraint {
        None => None,
        Some(c) => Some(Constraint::parse(c).ok_or_else(|| {
            format!("`depends '{name}', '{c}'`: `{c}` is not a version constraint")
        })?),
    };
    Ok(Dependency {
        name: name.to_string(),
        constraint,
    })
}

fn metadata_json(bytes: &[u8]) -> Result<Metadata, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("metadata.json is not JSON: {e}"))?;
    let name = v.get("name").and_then(|n| n.as_str()).map(str::to_string);
    let version = match v.get("version").and_then(|n| n.as_str()) {
        Some(t) => Some(
            Version::parse(t).ok_or_else(|| format!("metadata.json: `{t}` is not a version"))?,
        ),
        None => None,
    };
    let mut depends = Vec::new();
    if let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) {
        for (dep, c) in deps {
            depends.push(dependency(
                dep,
                c.as_str()
                    .filter(|c| !c.trim().is_empty() && c.trim() != ">= 0.0.0"),
            )?);
        }
    }
    Ok((name, version, depends))
}

/// The quoted words of a metadata.rb line (`'a'` or `"a"`), in order.
fn quoted(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let word: String = chars.by_ref().take_while(|x| *x != c).collect();
            out.push(word);
        } else if c == '#' {
            break;
        }
    }
    out
}

/// `name`, `version` and `depends` lines of metadata.rb (the only ones a
/// run list depends on); every other line is left to Chef.
fn metadata_rb(text: &str) -> Result<Metadata, String> {
    let (mut name, mut version, mut depends) = (None, None, Vec::new());
    for line in text.lines().map(str::trim) {
        let word = line
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or("");
        let args = quoted(line);
        match word {
            "name" => name = args.first().cloned(),
            "version" => {
                let t = args
                    .first()
                    .ok_or("metadata.rb: `version` without a quoted version")?;
                version = Some(
                    Version::parse(t)
                        .ok_or_else(|| format!("metadata.rb: `{t}` is not a version"))?,
                );
            }
            "depends" => {
                let dep = args
                    .first()
                    .ok_or("metadata.rb: `depends` without a quoted name")?;
                depends.push(dependency(dep, args.get(1).map(String::as_str))?);
            }
            _ => {}
        }
    }
    Ok((name, version, depends))
}

fn role(name: &str, bytes: Vec<u8>) -> Result<Role, String> {
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("is not JSON: {e}"))?;
    if let Some(n) = v.get("name").and_then(|n| n.as_str()) {
        if n != name {
            return Err(format!(
                "names itself `{n}`; Chef finds it as `{name}` (its file name)"
            ));
        }
    }
    let run_list = match v.get("run_list") {
        None => Vec::new(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or("`run_list` holds a non-string")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`run_list` is not a list".into()),
    };
    Ok(Role {
        name: name.to_string(),
        run_list,
        bytes,
    })
}

/// `Policyfile.lock.json` (`cookbook_locks.<name>.version`) or
/// `Berksfile.lock` (the `GRAPH` section's `  name (version)` lines).
fn lock(loader: &dyn Loader, dir: &str) -> Option<Lock> {
    if let Ok(b) = loader.read(&join(dir, "Policyfile.lock.json")) {
        let v: serde_json::Value = serde_json::from_slice(&b).ok()?;
        let versions = v
            .get("cookbook_locks")?
            .as_object()?
            .iter()
            .filter_map(|(name, l)| {
                Some((name.clone(), Version::parse(l.get("version")?.as_str()?)?))
            })
            .collect();
        return Some(Lock {
            file: "Policyfile.lock.json",
            versions,
        });
    }
    let b = loader.read(&join(dir, "Berksfile.lock")).ok()?;
    let text = String::from_utf8_lossy(&b);
    let mut versions = BTreeMap::new();
    let mut in_graph = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_graph = line.trim() == "GRAPH";
            continue;
        }
        // Entries are indented two spaces; their dependencies four.
        if in_graph && line.starts_with("  ") && !line.starts_with("    ") {
            let t = line.trim();
            if let Some((name, rest)) = t.split_once(' ') {
                let v = rest.trim_start_matches('(').trim_end_matches(')');
                if let Some(v) = Version::parse(v) {
                    versions.insert(name.to_string(), v);
                }
            }
        }
    }
    Some(Lock {
        file: "Berksfile.lock",
        versions,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn chefignore_globs() {
        assert!(glob("*.swp", "recipes/default.rb.swp"));
        assert!(glob("spec/*", "spec/default_spec.rb"));
        assert!(!glob("spec/*", "spec/unit/x.rb"));
        assert!(glob("test/**", "test/integration/default/x.rb"));
        assert!(!glob("*.rb", "recipes/default.erb"));
    }

    #[test]
    fn metadata_rb_lines() {
        let (name, version, depends) = metadata_rb(
            "name 'nginx'\nmaintainer 'x'\nversion \"12.2.0\" # pinned\ndepends 'ohai', '~> 5.0'\ndepends \"yum\"\n",
        )
        .unwrap();
        assert_eq!(name.as_deref(), Some("nginx"));
        assert_eq!(version, Some(Version(12, 2, 0)));
        assert_eq!(depends.len(), 2);
        assert_eq!(depends[0].constraint.as_ref().unwrap().text, "~> 5.0");
        assert!(depends[1].constraint.is_none());
        assert!(metadata_rb("depends 'x', 'soon'").is_err());
    }

    #[test]
    fn berksfile_lock_graph() {
        let loader = crate::resolve::MemLoader::default().with(
            "repo/Berksfile.lock",
            "DEPENDENCIES\n  nginx\n\nGRAPH\n  nginx (12.2.0)\n    ohai (>= 0.0.0)\n  ohai (5.3.0)\n",
        );
        let l = lock(&loader, "repo").unwrap();
        assert_eq!(l.versions["nginx"], Version(12, 2, 0));
        assert_eq!(l.versions["ohai"], Version(5, 3, 0));
        assert_eq!(l.versions.len(), 2);
    }
}
