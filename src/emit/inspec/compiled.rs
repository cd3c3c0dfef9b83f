//! The InSpec templates, compiled ahead of time: generated from
//! `src/emit/templates/inspec/*.hbs` by `PAASC_REGEN=1 cargo test --lib
//! precompile`. Do not edit; see `precompile.rs`.

use super::precompile::*;
use handlebars::template::Template;

/// The fingerprint of the templates this was generated from.
pub(super) const FINGERPRINT: u64 = 0xd55fe5bcad7f3754;

/// Every template, by the name the emitter renders it with.
pub(super) fn templates() -> Result<Vec<(&'static str, Template)>, String> {
    Ok(vec![
        ("control", named("control", vec![
            raw("\ncontrol "),
            expr(name("ruby_str"), vec![path(&["id"], "id")])?,
            raw(" do\n  impact "),
            expr(path(&["impact"], "impact"), vec![])?,
            raw("\n  title "),
            expr(name("ruby_str"), vec![path(&["title"], "title")])?,
            raw("\n  desc "),
            expr(name("ruby_str"), vec![path(&["desc"], "desc")])?,
            raw("\n  tag "),
            helper_block(Helper {
                name: name("each"),
                params: vec![path(&["tags"], "tags")],
                block: true,
                chain: false,
                indent_before_write: false,
                inner: Some(block(vec![
                    expr(path(&["key"], "key"), vec![])?,
                    raw(": "),
                    expr(name("ruby_str"), vec![path(&["value"], "value")])?,
                    helper_block(Helper {
                        name: name("unless"),
                        params: vec![local(0, "last", "@last")],
                        block: true,
                        chain: false,
                        indent_before_write: false,
                        inner: Some(block(vec![
                            raw(", "),
                        ])),
                        inverse: None,
                    })?,
                ])),
                inverse: None,
            })?,
            raw("\n"),
            expr(path(&["body"], "body"), vec![])?,
            raw("end\n"),
        ])),
        ("port", named("port", vec![
            raw("  describe port("),
            expr(path(&["port_expr"], "port_expr"), vec![])?,
            raw(") do\n    it { "),
            expr(path(&["should"], "should"), vec![])?,
            raw(" be_listening }\n  end\n"),
        ])),
        ("service", named("service", vec![
            raw("  describe service("),
            expr(name("ruby_str"), vec![path(&["name"], "name")])?,
            raw(") do\n    it { should be_installed }\n    it { should be_enabled }\n    it { should be_running }\n  end\n"),
        ])),
        ("package", named("package", vec![
            raw("  describe package("),
            expr(name("ruby_str"), vec![path(&["name"], "name")])?,
            raw(") do\n    it { should be_installed }\n"),
            helper_block(Helper {
                name: name("each"),
                params: vec![path(&["constraints"], "constraints")],
                block: true,
                chain: false,
                indent_before_write: true,
                inner: Some(block(vec![
                    raw("    its('version') { should cmp "),
                    expr(name("ruby_str"), vec![path(&[], "this")])?,
                    raw(" }\n"),
                ])),
                inverse: None,
            })?,
            raw("  end\n"),
        ])),
        ("file", named("file", vec![
            raw("  describe file("),
            expr(name("ruby_str"), vec![path(&["path"], "path")])?,
            raw(") do\n    it { "),
            expr(path(&["should"], "should"), vec![])?,
            raw(" exist }\n"),
            helper_block(Helper {
                name: name("each"),
                params: vec![path(&["modes"], "modes")],
                block: true,
                chain: false,
                indent_before_write: true,
                inner: Some(block(vec![
                    raw("    its('mode') { should cmp "),
                    expr(name("ruby_str"), vec![path(&[], "this")])?,
                    raw(" }\n"),
                ])),
                inverse: None,
            })?,
            raw(""),
            helper_block(Helper {
                name: name("each"),
                params: vec![path(&["owners"], "owners")],
                block: true,
                chain: false,
                indent_before_write: true,
                inner: Some(block(vec![
                    raw("    it { should be_owned_by "),
                    expr(name("ruby_str"), vec![path(&[], "this")])?,
                    raw(" }\n"),
                ])),
                inverse: None,
            })?,
            raw("  end\n"),
        ])),
        ("command", named("command", vec![
            raw("  describe command("),
            expr(name("ruby_str"), vec![path(&["command"], "command")])?,
            raw(") do\n    its('exit_status') { should eq "),
            expr(path(&["exit"], "exit"), vec![])?,
            raw(" }\n  end\n"),
        ])),
        ("http", named("http", vec![
            raw("  describe http("),
            expr(name("ruby_str"), vec![path(&["url"], "url")])?,
            raw(") do\n    its('status') { should cmp "),
            expr(path(&["status"], "status"), vec![])?,
            raw(" }\n  end\n"),
        ])),
        ("http_input", named("http_input", vec![
            raw("  describe http('http://localhost:' + input('app_port').to_s + input('health_path')) do\n    its('status') { should cmp "),
            expr(path(&["status"], "status"), vec![])?,
            raw(" }\n  end\n"),
        ])),
        ("inspec_yml", named("inspec_yml", vec![
            raw("name: "),
            expr(name("yaml_str"), vec![path(&["name"], "name")])?,
            raw("\ntitle: "),
            expr(name("yaml_str"), vec![path(&["title"], "title")])?,
            raw("\nmaintainer: "),
            expr(name("yaml_str"), vec![path(&["maintainer"], "maintainer")])?,
            raw("\nsummary: "),
            expr(name("yaml_str"), vec![path(&["summary"], "summary")])?,
            raw("\nversion: "),
            expr(name("yaml_str"), vec![path(&["version"], "version")])?,
            raw("\nsupports:\n  - platform-family: "),
            expr(name("yaml_str"), vec![path(&["family"], "family")])?,
            raw("\n"),
            helper_block(Helper {
                name: name("each"),
                params: vec![path(&["platform_names"], "platform_names")],
                block: true,
                chain: false,
                indent_before_write: true,
                inner: Some(block(vec![
                    raw("    platform-name: "),
                    expr(name("yaml_str"), vec![path(&[], "this")])?,
                    raw("\n"),
                ])),
                inverse: None,
            })?,
            raw("inputs:\n  - name: app_port\n    description: \"TCP port the application listens on (service.port)\"\n    type: Numeric\n    value: "),
            expr(path(&["app_port"], "app_port"), vec![])?,
            raw("\n  - name: health_path\n    description: \"HTTP path of the application's health check (service.health)\"\n    type: String\n    value: "),
            expr(name("yaml_str"), vec![path(&["health_path"], "health_path")])?,
            raw("\n"),
        ])),
    ])
}
