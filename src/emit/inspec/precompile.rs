//! The InSpec templates, compiled ahead of time.
//!
//! Input: nothing at run time. Output: the nine templates of
//! `templates/inspec/*.hbs` as handlebars `Template` values, built by the
//! generated `compiled.rs` from the constructors here, for the registry in
//! `inspec.rs` to render exactly as it would render the `.hbs` text.
//!
//! Why: handlebars-rust parses a template with its pest grammar at about
//! 1,300 instructions a byte; compiling these 1.7 KB at every process start
//! cost more than all the rendering (docs/performance.md).
//!
//! Invariants:
//! - The `.hbs` files stay the source. `compiled.rs` records their
//!   fingerprint, and a build whose templates differ from it fails to
//!   compile (`inspec.rs`). `PAASC_REGEN=1 cargo test --lib precompile`
//!   lets it compile and rewrites the file; a plain `cargo test` then
//!   checks the result and the snapshots show any change in output.
//! - `compiled.rs` is exactly what the generator below makes of the
//!   templates today. Besides a template edit, a new handlebars version can
//!   also make it stale (test).
//! - Every template built here equals, field for field, what the
//!   configured registry's `register_template_string` makes of its text.
//!   The one exception is the table of lines and columns that handlebars
//!   keeps for its error messages, which cannot be built outside the crate
//!   (test). A template fails to render only on a bug here, which the
//!   snapshots catch; such an error names the template but not its line.
//! - If `compiled.rs` stops compiling (handlebars changed its types), replace
//!   the body of `templates()` with `Ok(Vec::new())` and keep `FINGERPRINT`,
//!   then regenerate.

use handlebars::template::{
    ExpressionSpecBuilder, HelperTemplate, Parameter, Template, TemplateElement,
};
use handlebars::{JsonValue, Path};
use std::collections::HashMap;

/// A template of `elements`, named as a registered one is.
pub(super) fn named(name: &str, elements: Vec<TemplateElement>) -> Template {
    let mut t = block(elements);
    t.name = Some(name.to_string());
    t
}

/// The unnamed template of a block helper's body or `else` branch.
pub(super) fn block(elements: Vec<TemplateElement>) -> Template {
    let mut t = Template::default();
    t.elements = elements;
    t
}

pub(super) fn raw(text: &str) -> TemplateElement {
    TemplateElement::RawString(text.to_string())
}

#[allow(
    dead_code,
    reason = "the generator emits it for templates that use it; none does today"
)]
pub(super) fn comment(text: &str) -> TemplateElement {
    TemplateElement::Comment(text.to_string())
}

/// A helper's name (`ruby_str`, `each`, ...).
pub(super) fn name(name: &str) -> Parameter {
    Parameter::Name(name.to_string())
}

/// A path relative to the context: `segments` as written, `raw` the text.
pub(super) fn path(segments: &[&str], raw: &str) -> Parameter {
    let segments = segments
        .iter()
        .map(|s| handlebars::PathSeg::Named(s.to_string()))
        .collect();
    Parameter::Path(Path::Relative((segments, raw.to_string())))
}

/// A local variable such as `@last`, `level` blocks up.
pub(super) fn local(level: usize, name: &str, raw: &str) -> Parameter {
    Parameter::Path(Path::Local((level, name.to_string(), raw.to_string())))
}

#[allow(
    dead_code,
    reason = "the generator emits it for templates that use it; none does today"
)]
/// A literal parameter, as JSON text.
pub(super) fn literal(json: &str) -> Result<Parameter, String> {
    serde_json::from_str::<JsonValue>(json)
        .map(Parameter::Literal)
        .map_err(|e| format!("precompiled template literal {json}: {e}"))
}

/// What a `{{...}}` or `{{#...}}` holds; `inner` and `inverse` are a block's
/// body and `else` branch.
pub(super) struct Helper {
    pub name: Parameter,
    pub params: Vec<Parameter>,
    pub block: bool,
    pub chain: bool,
    pub indent_before_write: bool,
    pub inner: Option<Template>,
    pub inverse: Option<Template>,
}

impl Helper {
    fn build(self) -> Result<Box<HelperTemplate>, String> {
        let spec = ExpressionSpecBuilder::default()
            .name(self.name)
            .params(self.params)
            .hash(HashMap::new())
            .omit_pre_ws(false)
            .omit_pro_ws(false)
            .build()
            .map_err(|e| format!("precompiled template: {e}"))?;
        let mut h = HelperTemplate::new(spec, self.block, self.indent_before_write);
        h.chain = self.chain;
        h.template = self.inner;
        h.inverse = self.inverse;
        Ok(Box::new(h))
    }
}

/// `{{name params}}`, the common case: `{{value}}` or `{{helper value}}`.
pub(super) fn expr(name: Parameter, params: Vec<Parameter>) -> Result<TemplateElement, String> {
    expression(Helper {
        name,
        params,
        block: false,
        chain: false,
        indent_before_write: false,
        inner: None,
        inverse: None,
    })
}

/// `{{name params}}`, in full.
pub(super) fn expression(h: Helper) -> Result<TemplateElement, String> {
    Ok(TemplateElement::Expression(h.build()?))
}

#[allow(
    dead_code,
    reason = "the generator emits it for templates that use it; none does today"
)]
/// `{{{name params}}}`.
pub(super) fn html_expression(h: Helper) -> Result<TemplateElement, String> {
    Ok(TemplateElement::HtmlExpression(h.build()?))
}

/// `{{#name params}}...{{/name}}`.
pub(super) fn helper_block(h: Helper) -> Result<TemplateElement, String> {
    Ok(TemplateElement::HelperBlock(h.build()?))
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::super::{compiled, configured, fingerprint, TEMPLATES};
    use handlebars::template::{Parameter, Template, TemplateElement};
    use handlebars::Path;
    use std::fmt::Write as _;

    const GENERATED: &str = "src/emit/inspec/compiled.rs";

    /// `t` without handlebars' line and column table, at every depth.
    fn without_mapping(mut t: Template) -> Template {
        t.mapping.clear();
        for e in &mut t.elements {
            if let TemplateElement::Expression(h)
            | TemplateElement::HtmlExpression(h)
            | TemplateElement::HelperBlock(h) = e
            {
                h.template = h.template.take().map(without_mapping);
                h.inverse = h.inverse.take().map(without_mapping);
            }
        }
        t
    }

    /// What the emitter's registry makes of `text`, as it would at run time.
    fn compile(name: &str, text: &str) -> Template {
        let mut reg = configured();
        reg.register_template_string(name, text)
            .unwrap_or_else(|e| panic!("templates/inspec/{name}: {e}"));
        reg.get_template(name).cloned().unwrap()
    }

    fn param(p: &Parameter) -> String {
        match p {
            Parameter::Name(n) => format!("name({n:?})"),
            Parameter::Path(Path::Relative((segments, raw))) => {
                let names: Vec<String> = segments
                    .iter()
                    .map(|s| match s {
                        handlebars::PathSeg::Named(n) => format!("{n:?}"),
                        other => panic!(
                            "precompile: path segment {other:?} in {raw:?} is not supported; \
                             extend precompile.rs"
                        ),
                    })
                    .collect();
                format!("path(&[{}], {raw:?})", names.join(", "))
            }
            Parameter::Path(Path::Local((level, n, raw))) => {
                format!("local({level}, {n:?}, {raw:?})")
            }
            Parameter::Literal(json) => format!("literal({:?})?", json.to_string()),
            other => {
                panic!("precompile: parameter {other:?} is not supported; extend precompile.rs")
            }
        }
    }

    fn template(out: &mut String, t: &Template, depth: usize) {
        let pad = "    ".repeat(depth);
        match &t.name {
            Some(n) => writeln!(out, "named({n:?}, vec![").unwrap(),
            None => writeln!(out, "block(vec![").unwrap(),
        }
        for e in &t.elements {
            out.push_str(&pad);
            out.push_str("    ");
            let (ctor, h) = match e {
                TemplateElement::RawString(s) => {
                    writeln!(out, "raw({s:?}),").unwrap();
                    continue;
                }
                TemplateElement::Comment(s) => {
                    writeln!(out, "comment({s:?}),").unwrap();
                    continue;
                }
                TemplateElement::Expression(h) => ("expression", h),
                TemplateElement::HtmlExpression(h) => ("html_expression", h),
                TemplateElement::HelperBlock(h) => ("helper_block", h),
                other => panic!(
                    "precompile: {other:?} is not supported (decorators and partials); \
                     extend precompile.rs"
                ),
            };
            assert!(
                h.hash.is_empty() && h.block_param.is_none(),
                "precompile: hash parameters and block parameters are not supported; \
                 extend precompile.rs"
            );
            // The one field handlebars keeps to itself; its Debug form ends with it.
            let indent = format!("{h:?}").ends_with("indent_before_write: true }");
            let params: Vec<String> = h.params.iter().map(param).collect();
            let plain = !h.block && !h.chain && !indent;
            if ctor == "expression" && plain && h.template.is_none() && h.inverse.is_none() {
                let name = param(&h.name);
                writeln!(out, "expr({name}, vec![{}])?,", params.join(", ")).unwrap();
                continue;
            }
            writeln!(out, "{ctor}(Helper {{").unwrap();
            let inner = format!("{pad}        ");
            writeln!(out, "{inner}name: {},", param(&h.name)).unwrap();
            writeln!(out, "{inner}params: vec![{}],", params.join(", ")).unwrap();
            writeln!(out, "{inner}block: {},", h.block).unwrap();
            writeln!(out, "{inner}chain: {},", h.chain).unwrap();
            writeln!(out, "{inner}indent_before_write: {indent},").unwrap();
            for (field, body) in [("inner", &h.template), ("inverse", &h.inverse)] {
                match body {
                    Some(b) => {
                        write!(out, "{inner}{field}: Some(").unwrap();
                        template(out, b, depth + 2);
                        out.push_str("),\n");
                    }
                    None => writeln!(out, "{inner}{field}: None,").unwrap(),
                }
            }
            writeln!(out, "{pad}    }})?,").unwrap();
        }
        write!(out, "{pad}])").unwrap();
    }

    fn generate() -> String {
        let mut out = format!(
            "//! The InSpec templates, compiled ahead of time: generated from\n\
             //! `src/emit/templates/inspec/*.hbs` by `PAASC_REGEN=1 cargo test --lib\n\
             //! precompile`. Do not edit; see `precompile.rs`.\n\n\
             use super::precompile::*;\n\
             use handlebars::template::Template;\n\n\
             /// The fingerprint of the templates this was generated from.\n\
             pub(super) const FINGERPRINT: u64 = {:#018x};\n\n\
             /// Every template, by the name the emitter renders it with.\n\
             pub(super) fn templates() -> Result<Vec<(&'static str, Template)>, String> {{\n    Ok(vec![\n",
            fingerprint(&TEMPLATES)
        );
        for (name, text) in TEMPLATES {
            out.push_str(&format!("        ({name:?}, "));
            template(&mut out, &compile(name, text), 2);
            out.push_str("),\n");
        }
        out.push_str("    ])\n}\n");
        out
    }

    #[test]
    fn compiled_rs_is_generated_from_the_templates() {
        let want = generate();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if crate::hash::REGENERATING {
                std::fs::write(&path, &want).unwrap();
            } else {
                panic!(
                    "{GENERATED} is stale (a template under src/emit/templates/inspec, or \
                     handlebars, changed): run `PAASC_REGEN=1 cargo test --lib precompile`, then \
                     `cargo test`, and commit the templates and {GENERATED} together"
                );
            }
        }
    }

    #[test]
    fn precompiled_templates_are_what_handlebars_compiles() {
        if crate::hash::REGENERATING {
            return;
        }
        let built = compiled::templates().unwrap();
        assert_eq!(built.len(), TEMPLATES.len());
        for ((name, template), (want_name, text)) in built.into_iter().zip(TEMPLATES) {
            assert_eq!(name, want_name);
            assert_eq!(
                template,
                without_mapping(compile(name, text)),
                "template {name}"
            );
        }
    }
}
