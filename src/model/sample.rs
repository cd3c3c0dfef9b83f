//! A hand-built model equal to what `examples/shop.paas` resolves to in env
//! `prod`. Emitter unit tests use it so they do not depend on the front end.

use super::deadline::Deadlines;
use super::*;

/// The full-featured example, blue-green, env `prod`.
pub fn shop_prod() -> App {
    let mut tags = BTreeMap::new();
    tags.insert("CostCenter".to_string(), "cc-1001".to_string());
    tags.insert("Owner".to_string(), "storefront-team".to_string());
    let attributes = serde_json::json!({
        "nginx": { "listen_port": 8443, "worker_processes": 4 },
        "shop": { "env": "prod", "cache": { "enabled": true, "ratio": 0.75 } }
    });
    let attributes = match attributes {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let baseline = vec![
        Check::Port {
            port: 22,
            state: PortState::Closed,
        },
        Check::Service {
            name: "amazon-ssm-agent".into(),
        },
        Check::Service {
            name: "amazon-cloudwatch-agent".into(),
        },
        Check::Service {
            name: "auditd".into(),
        },
        Check::File {
            path: "/etc/passwd".into(),
            state: FileState::Exists,
            mode: Some("0644".into()),
            owner: Some("root".into()),
        },
        Check::File {
            path: "/root/.ssh/authorized_keys".into(),
            state: FileState::Absent,
            mode: None,
            owner: None,
        },
    ];
    App {
        name: "shop".into(),
        env: "prod".into(),
        envs: vec!["staging".into(), "prod".into()],
        team: "storefront".into(),
        version: "1.4.0".into(),
        region: "eu-west-1".into(),
        account: "222233334444".into(),
        kms: Kms::Alias("alias/shop".into()),
        tags,
        image: Image {
            base: BaseImage {
                name: "ubuntu-24.04".into(),
                owner: "099720109477".into(),
                filter: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*".into(),
                user: "ubuntu".into(),
                platform: "ubuntu".into(),
            },
            instance: "m6i.large".into(),
            volume_gib: 25,
            share: vec!["444455556666".into()],
            chef: vec![
                RunListItem { kind: RunListKind::Recipe, name: "base::hardening".into(), version: None },
                RunListItem { kind: RunListKind::Recipe, name: "nginx".into(), version: Some("12.2.0".into()) },
                RunListItem { kind: RunListKind::Recipe, name: "shop::web".into(), version: None },
                RunListItem { kind: RunListKind::Role, name: "shop-web".into(), version: None },
            ],
            attributes,
            vendor: Some(shop_vendor()),
        },
        service: Service {
            port: 8443,
            health: "/health".into(),
            https: Some("arn:aws:acm:eu-west-1:222233334444:certificate/1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b".into()),
            public: true,
        },
        network: Network {
            vpc: Some("vpc-0aa11bb22cc33dd44".into()),
            subnets: vec!["subnet-0aa11bb22cc33dd44".into(), "subnet-0aa11bb22cc33dd45".into()],
            allow: vec!["0.0.0.0/0".into()],
        },
        fleet: Fleet { min: 3, max: 12, desired: 4, cpu: 50, launch: Launch::Template },
        access: Access {
            s3: vec!["shop-assets-222233334444".into()],
            dynamodb: vec!["shop-orders".into()],
            sqs: vec!["shop-events".into()],
            secrets: vec!["/shop/prod/db-password".into()],
        },
        verify: vec![
            Verify::Check { check: Check::Port { port: 8443, state: PortState::Listening } },
            Verify::Check { check: Check::Service { name: "nginx".into() } },
            Verify::Check { check: Check::Package { name: "nginx".into(), constraint: Some(">= 1.24".into()) } },
            Verify::Check {
                check: Check::File { path: "/etc/shop/app.yml".into(), state: FileState::Exists, mode: Some("0640".into()), owner: Some("shop".into()) },
            },
            Verify::Check { check: Check::File { path: "/root/.ssh/authorized_keys".into(), state: FileState::Absent, mode: None, owner: None } },
            Verify::Check { check: Check::Command { command: "nginx -t".into(), exit: 0 } },
            Verify::Check { check: Check::Http { path: "/health".into(), status: 200 } },
            Verify::Pack { name: "baseline".into(), checks: baseline },
        ],
        logs: Logs { bucket: "shop-logs-prod-222233334444".into(), retain_days: 180 },
        release: Release { strategy: Strategy::BlueGreen, shift: vec![25, 50, 100], bake_seconds: 120, keep_warm_seconds: 600, alarm_errors: 10, alarm_latency_seconds: 2, allow_skipped_controls: false },
        pipeline: Pipeline {
            workers: Workers::Ssm,
            timeout_seconds: 5400,
            retry: 3,
            notify: Some("arn:aws:sns:eu-west-1:222233334444:shop-deploys".into()),
            account: "777788889999".into(),
            subnet: Some("subnet-0bb11cc22dd33ee44".into()),
            packer_plugin: names::DEFAULT_PACKER_PLUGIN.into(),
            aws_provider: names::DEFAULT_AWS_PROVIDER.into(),
            // deadline::plan(5400, 3 shifts watched 120 s each, 10m keep-warm, none set)
            deadlines: Deadlines { bake: 1800, provision: 900, validate: 360, post: 540 },
        },
        source: SourceInfo { file_name: "shop.paas".into(), sha256: "0".repeat(64) },
    }
}

/// The smallest spec: defaults everywhere, env `default`.
pub fn minimal() -> App {
    App {
        name: "minimal".into(),
        env: "default".into(),
        envs: vec![],
        team: "minimal".into(),
        version: "0.0.0".into(),
        region: "eu-west-1".into(),
        account: "111122223333".into(),
        kms: Kms::Managed,
        tags: BTreeMap::new(),
        image: Image {
            base: BaseImage {
                name: "amazon-linux-2023".into(),
                owner: "amazon".into(),
                filter: "al2023-ami-2023.*-x86_64".into(),
                user: "ec2-user".into(),
                platform: "amazon".into(),
            },
            instance: "t3.micro".into(),
            volume_gib: 20,
            share: vec![],
            chef: vec![],
            attributes: serde_json::Map::new(),
            vendor: None,
        },
        service: Service {
            port: 8080,
            health: "/".into(),
            https: None,
            public: false,
        },
        network: Network {
            vpc: None,
            subnets: vec![],
            allow: vec![
                "10.0.0.0/8".into(),
                "172.16.0.0/12".into(),
                "192.168.0.0/16".into(),
            ],
        },
        fleet: Fleet {
            min: 1,
            max: 1,
            desired: 1,
            cpu: 70,
            launch: Launch::Template,
        },
        access: Access::default(),
        verify: vec![],
        logs: Logs {
            bucket: "minimal-default-logs-111122223333".into(),
            retain_days: 90,
        },
        release: Release {
            strategy: Strategy::BlueGreen,
            shift: vec![100],
            bake_seconds: 300,
            keep_warm_seconds: 600,
            alarm_errors: 10,
            alarm_latency_seconds: 2,
            allow_skipped_controls: false,
        },
        pipeline: Pipeline {
            workers: Workers::Ssm,
            timeout_seconds: 7200,
            retry: 2,
            notify: None,
            account: "111122223333".into(),
            subnet: None,
            packer_plugin: names::DEFAULT_PACKER_PLUGIN.into(),
            aws_provider: names::DEFAULT_AWS_PROVIDER.into(),
            // deadline::plan(7200, 1 shift watched 300 s, 10m keep-warm, none set)
            deadlines: Deadlines {
                bake: 2790,
                provision: 1395,
                validate: 558,
                post: 837,
            },
        },
        source: SourceInfo {
            file_name: "minimal.paas".into(),
            sha256: "0".repeat(64),
        },
    }
}

/// What `chef_repo::resolve` makes of the shop run list against a small
/// repo (one recipe per cookbook, the role naming them).
fn shop_vendor() -> ChefVendor {
    let cookbook = |name: &str, version: &str, recipe: &str| {
        vec![
            (
                format!("cookbooks/{name}/metadata.rb"),
                format!("name '{name}'\nversion '{version}'\n"),
            ),
            (
                format!("cookbooks/{name}/recipes/{recipe}.rb"),
                format!("log '{name}::{recipe}'\n"),
            ),
        ]
    };
    let mut files = Vec::new();
    files.extend(cookbook("base", "1.0.0", "hardening"));
    files.extend(cookbook("nginx", "12.2.0", "default"));
    files.extend(cookbook("shop", "1.4.0", "web"));
    files.push((
        "roles/shop-web.json".into(),
        "{\"name\": \"shop-web\", \"run_list\": [\"recipe[shop::web]\"]}\n".into(),
    ));
    files.sort();
    ChefVendor {
        repo: "examples".into(),
        cookbooks: [("base", "1.0.0"), ("nginx", "12.2.0"), ("shop", "1.4.0")]
            .iter()
            .map(|(n, v)| VendoredCookbook {
                name: n.to_string(),
                version: v.to_string(),
            })
            .collect(),
        roles: vec!["shop-web".into()],
        files,
    }
}
