//! Every diagnostic code, its severity and its `paasc explain` text.
//!
//! Codes are stable: never renumber or reuse one. A test fails when a code
//! has no fixture under `tests/ui/` or no explain text here.

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal, $explain:literal; )*) => {
        /// A stable diagnostic code (`paas::E0xxx` error, `paas::W0xxx` warning).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// `paas::E0001`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => concat!("paas::", $code), )* }
            }
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
            /// One line: what the code means.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }
            /// The long text `paasc explain` prints.
            pub fn explain(self) -> &'static str {
                match self { $( Code::$variant => $explain, )* }
            }
            /// Accepts `paas::E0001`, `E0001` and `e0001`.
            pub fn parse(text: &str) -> Option<Code> {
                let bare = text.trim().trim_start_matches("paas::").to_ascii_uppercase();
                Code::ALL.iter().copied().find(|c| c.as_str().trim_start_matches("paas::") == bare)
            }
        }
    };
}

codes! {
    Syntax = "E0001", Error, "syntax error",
        "The text does not fit the grammar at this point. The label shows where, and\nthe message says what would have been accepted there.\n\n    fleet { min = }      # a value is missing after `=`\n    fleet { min = 1 }    # fixed";
    Delimiter = "E0002", Error, "unbalanced braces",
        "Every `{` needs a matching `}`. The label points at the brace without a partner.\n\n    service {\n      port = 8080\n    # missing `}`";
    UnterminatedString = "E0003", Error, "unterminated string",
        "A string starts with `\"` and must end with `\"` on the same line.\n\n    health = \"/healthz     # missing closing quote\n    health = \"/healthz\"    # fixed";
    BadEscape = "E0004", Error, "unknown escape sequence",
        "Strings accept the escapes \\\\ \\\" \\n \\t \\r \\$ (a literal dollar) and \\u{HEX}.\nAny other backslash sequence is an error.\n\n    command \"grep \\d\"     # \\d is not an escape\n    command \"grep \\\\d\"    # fixed";
    InvalidUtf8 = "E0005", Error, "file is not valid UTF-8",
        "Spec files must be UTF-8 text. The label points at the first byte that is not.\nRe-save the file as UTF-8.";
    TooDeep = "E0006", Error, "blocks nested too deeply",
        "Blocks may nest at most 32 levels. Real specs need three or four; deeper\nnesting is almost always unbalanced braces.";
    UnknownUnit = "E0007", Error, "unknown unit",
        "Quantities take a unit right after the number: durations `s m h d` (30s, 5m,\n2h, 400d), sizes `MiB GiB TiB` (512MiB, 30GiB) and percentages `%` (60%).\n\n    bake = 5mins    # unknown unit\n    bake = 5m       # fixed";
    NumberRange = "E0008", Error, "number out of range",
        "The number is too large for the language: integers are 64-bit.";
    UseNotFound = "E0100", Error, "`use` file not found",
        "`use \"path\"` loads another spec file, relative to the file that contains\nthe `use`. The file does not exist or cannot be read.";
    UseCycle = "E0101", Error, "`use` cycle",
        "Files may not `use` each other in a cycle (a uses b uses a). Move the shared\ndefinitions into a third file that both use.";
    Duplicate = "E0102", Error, "defined twice",
        "A key, block, env, param, base or controls pack is defined twice where only\none is allowed. Both places are labelled; remove or rename one of them.";
    UndefinedName = "E0103", Error, "undefined name in interpolation",
        "`${name}` in a string must name a declared `param` or a built-in: `app`,\n`env`, `region`, `account`.\n\n    param version = \"1.0.0\"\n    version = \"${verison}\"   # typo: did you mean `version`?";
    UnknownBase = "E0104", Error, "unknown base image",
        "`image.base` names a `base` definition: one of the stdlib images\n(amazon-linux-2023, amazon-linux-2, ubuntu-22.04, ubuntu-24.04, rhel-9) or a\n`base NAME { owner filter user }` of your own, in this file or a `use`d one.";
    UnknownControls = "E0105", Error, "unknown control pack",
        "`controls NAME` in `verify` names a `controls NAME { ... }` pack: the stdlib's\n`baseline` or one defined in this file or a `use`d one.";
    UnknownParam = "E0106", Error, "unknown `--set` parameter",
        "`--set name=value` overrides a `param name = default` declared in the spec.\nThe name given on the command line is not declared.";
    UnknownEnv = "E0107", Error, "unknown env",
        "`--env NAME` selects an `env NAME { ... }` overlay inside `app`. The spec\ndeclares no env by that name.";
    AppPlacement = "E0108", Error, "misplaced or repeated `app`",
        "A spec holds at most one `app NAME { ... }`, in the file given to paasc.\nFiles loaded with `use` hold only `base`, `controls` and `param` definitions.";
    NoApp = "E0109", Error, "no app to build",
        "`paasc build` and `paasc deploy` need an `app NAME { ... }` block in the file\nthey are given. Library files (only `base`/`controls`) can be checked, not built.";
    ParamType = "E0110", Error, "`--set` value does not fit the param",
        "A `--set` value takes the type of the param's default: a string default\naccepts any text, an integer default needs an integer, a boolean `true`/`false`.";
    InterpolationCycle = "E0111", Error, "interpolation refers to itself",
        "`region` and `account` are available to `${}` everywhere else, so they\ncannot themselves use `${region}` or `${account}`.";
    UnknownKey = "E0200", Error, "unknown key",
        "This block does not take the key. The help lists the closest valid key.\nKeys per block are listed in the language reference (docs/language.md).";
    UnknownBlock = "E0201", Error, "unknown block",
        "This block is not known here. `app` takes the blocks image, service,\nnetwork, fleet, access, verify, logs, release, pipeline, tags and env NAME.";
    WrongType = "E0202", Error, "wrong type",
        "The value has the wrong type for this key: for example a string where an\ninteger is expected, or a list where a single value is expected.\n\n    port = \"8080\"   # a string\n    port = 8080     # fixed";
    MissingKey = "E0203", Error, "missing required key",
        "A required key is missing. `app` needs `region` and `account`, `service`\nneeds `port`, and a `base` needs `owner`, `filter` and `user`.";
    BlockShape = "E0204", Error, "attribute where a block is expected, or the reverse",
        "Some keys are blocks (`service { ... }`), others attributes (`team = \"x\"`).\nThis one was written in the other form.";
    InvalidChoice = "E0205", Error, "value is not one of the allowed choices",
        "Keys such as `release.strategy` (blue-green, rolling), `fleet.launch`\n(template, configuration) and `pipeline.workers` (ssm, lambda, activity)\naccept a fixed set of names.";
    WrongUnit = "E0206", Error, "wrong kind of quantity",
        "The key expects a duration (30s, 5m, 2h, 400d), a size (30GiB) or a\npercentage (60%), and the value is another kind.";
    MisplacedCheck = "E0207", Error, "check line outside `verify` or missing `=`",
        "Lines of the form `name value` are checks and belong in `verify` or a\n`controls` pack. Elsewhere an attribute needs `=`.\n\n    fleet { min 2 }     # missing `=`\n    fleet { min = 2 }   # fixed";
    BadCheck = "E0208", Error, "malformed check",
        "A verify check is one of:\n    port N listening|closed\n    service NAME running\n    package NAME \"constraint\"\n    file \"path\" exists|absent [mode \"0644\"] [owner NAME]\n    command \"cmd\" exits N\n    http \"path\" returns N\n    controls NAME";
    NameCase = "E0209", Error, "name must be lowercase",
        "App, env, base and controls names become parts of AWS resource names: they\nmust be lowercase letters, digits and `-` (`[a-z][a-z0-9-.]*`), at most 32\ncharacters.";
    Misplaced = "E0210", Error, "item not allowed here",
        "`use` and `param` lines belong at the top of a file; attributes and blocks\nother than `app`, `base` and `controls` belong inside `app`.";
    ReservedEnv = "E0211", Error, "`default` used as an env name",
        "`default` names the app without any overlay: what `paasc build` writes\nwithout `--env`, and the keys outside every `env` block. An `env default`\nblock would be silently shadowed by it, so the name is reserved.\n\n    env default { fleet { min = 2 } }   # reserved\n    env dev { fleet { min = 2 } }       # fixed";
    AccountId = "E0300", Error, "invalid account id",
        "AWS account ids are exactly 12 digits, written as a string: \"123456789012\".";
    Region = "E0301", Error, "unknown region",
        "`region` must be an AWS region code such as `us-east-1` or `eu-central-1`.";
    Arn = "E0302", Error, "malformed ARN",
        "The value must be an ARN of the right service and resource type:\n`service.https` an ACM certificate, `pipeline.notify` an SNS topic, `kms` a\nKMS key ARN or `alias/NAME`.\n\n    arn:aws:acm:REGION:ACCOUNT:certificate/ID";
    ArnRegion = "E0303", Error, "ARN in another region",
        "The ARN names a region other than the app's. ACM certificates, KMS keys and\nSNS topics used by the app and its pipeline must live in the app's region.";
    ArnAccount = "E0304", Error, "ARN in another account",
        "The ARN names an account other than the app's (for the env being built). In\nan env overlay that changes `account`, override the ARNs too.";
    VpcId = "E0305", Error, "invalid VPC id",
        "VPC ids look like `vpc-` followed by 8 or 17 hexadecimal digits.";
    SubnetId = "E0306", Error, "invalid subnet id",
        "Subnet ids look like `subnet-` followed by 8 or 17 hexadecimal digits.";
    Cidr = "E0307", Error, "invalid CIDR",
        "`network.allow` takes IPv4 CIDR blocks such as `10.0.0.0/8`: four octets\n0-255, a prefix length 0-32, and no bits set past the prefix.";
    Port = "E0308", Error, "invalid port",
        "Ports are integers from 1 to 65535.";
    BucketName = "E0309", Error, "invalid S3 bucket name",
        "S3 bucket names are 3-63 characters of lowercase letters, digits, `.` and\n`-`, start and end with a letter or digit, and are not IP addresses.";
    InstanceType = "E0310", Error, "unknown instance type",
        "`image.instance` must be an EC2 instance type such as `t3.large` or\n`m6i.xlarge`: a known family and size.";
    RunList = "E0311", Error, "invalid run-list entry",
        "Chef run-list entries are `\"cookbook\"`, `\"cookbook::recipe\"`,\n`\"cookbook@1.2.3\"`, `\"cookbook::recipe@1.2.3\"`, `\"recipe[...]\"` or `\"role[name]\"`.";
    CookbookVersion = "E0312", Error, "invalid cookbook version",
        "Cookbook versions are `x.y` or `x.y.z` with integer parts, as Chef requires.";
    FleetSize = "E0313", Error, "fleet sizes out of order",
        "`fleet` needs `min <= desired <= max` and `max >= 1`.";
    TooFewSubnets = "E0314", Error, "fewer than two subnets",
        "An Application Load Balancer needs subnets in at least two Availability\nZones: list two or more in `network.subnets`. Without `network` the default\nVPC's subnets are used.";
    SshPort = "E0315", Error, "SSH port 22 opened",
        "paasc never opens SSH: builders and hosts are reached through AWS Systems\nManager Session Manager. Port 22 may not be the service port and may not be\nexpected to listen.";
    Shift = "E0316", Error, "traffic shifts must rise to 100%",
        "`release.shift` is a list of percentages, each 1%-100%, strictly\nincreasing, the last one 100%.\n\n    shift = [10%, 50%, 100%]";
    DurationLimit = "E0317", Error, "duration beyond Step Functions' limits",
        "Step Functions executions and waits may last at most one year (365d), and\nmust last at least one second.";
    Retention = "E0318", Error, "retention not allowed by CloudWatch",
        "CloudWatch Logs accepts these retentions (days): 1 3 5 7 14 30 60 90 120\n150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653.";
    Kms = "E0319", Error, "invalid KMS key reference",
        "`kms` is `alias/NAME` or a key ARN `arn:aws:kms:REGION:ACCOUNT:key/ID`.";
    Path = "E0320", Error, "invalid path",
        "Paths (health checks, http checks, file checks, SSM parameter paths) must be\nabsolute: they start with `/`, and contain no spaces or control characters.";
    Percent = "E0321", Error, "percentage out of range",
        "Percentages are 1% to 100%.";
    AttributePath = "E0322", Error, "conflicting attribute paths",
        "In `image.attributes`, a dotted key is a path into the Chef node attributes.\n`a.b = 1` and `a.b.c = 2` conflict: `a.b` cannot be both a value and an object.";
    Volume = "E0323", Error, "volume size out of range",
        "`image.volume` is a size from 8GiB to 16384GiB (16TiB), in whole GiB.";
    ResourceName = "E0324", Error, "invalid resource name",
        "DynamoDB table names are 3-255 of `[A-Za-z0-9_.-]`; SQS queue names are 1-80\nof `[A-Za-z0-9_-]` (with an optional `.fifo` suffix).";
    Tag = "E0325", Error, "invalid tag",
        "Tag keys are 1-128 characters, values 0-256, and keys may not start with\n`aws:`.";
    Version = "E0326", Error, "invalid version",
        "`version` becomes part of AMI and execution names: 1-64 characters of\nletters, digits, `.`, `_`, `+` and `-`.";
    Range = "E0327", Error, "value out of range",
        "The value is outside the range this key allows (for example\n`pipeline.retry` 0-10, an HTTP status 100-599, an exit code 0-255).";
    FileMode = "E0328", Error, "invalid file mode",
        "File modes are octal strings of 3 or 4 digits 0-7: \"0644\", \"600\".";
    BuilderSubnet = "E0329", Error, "two-account pipeline without a builder subnet",
        "When `pipeline.account` differs from the app's `account`, the AMI is baked in the\npipeline account, so the builder instance needs a subnet there: the app's\nsubnets belong to another account.\n\n    pipeline { account = \"777788889999\" }                      # no subnet\n    pipeline { account = \"777788889999\"  subnet = \"subnet-...\" } # fixed";
    StagesDoNotFit = "E0330", Error, "the stages do not fit the pipeline's timeout",
        "`pipeline.timeout` is the whole execution. Inside it every tool stage has its\nown deadline (`bake_timeout`, `provision_timeout`, `validate_timeout`,\n`post_timeout`; a rolling Provision counts twice: the apply, then the instance\nrefresh), and a blue-green release watches each traffic shift for `release.bake`\n(each shift takes up to a minute more), keeps the previous colour warm for\n`release.keep_warm`, and 10 minutes stay free for the failure path (rollback,\naudit record, notification). A stage past its deadline is stopped and\nrolls back; the execution's own timeout, which nothing can catch, never ends a\nrelease. Stages without a deadline in the spec share what is left (bake 50%,\nprovision 25%, validate 10%, post 15%), each at least a minute.\n\n    pipeline { timeout = 30m  bake_timeout = 30m }   # nothing left for the rest\n    pipeline { timeout = 2h   bake_timeout = 45m }   # fixed";
    LambdaWorkers = "E0331", Error, "`workers = lambda` is not available",
        "With `workers = lambda` every tool stage would invoke a Lambda function\n`paas-<app>-<env>-<stage>`, and paasc builds none: such a pipeline could never\nrun, so it does not compile. The stages run as:\n\n    pipeline { workers = ssm }        # the default: SSM Run Command on the runner\n                                      # that `paasc bootstrap` creates\n    pipeline { workers = activity }   # Step Functions activities, served on the runner\n\nA bake takes far longer than a Lambda function may run (15 minutes), so the\nstages' work stays on the runner either way.";
    ToolMissing = "E0400", Error, "a tool the platform needs is missing",
        "`paasc bootstrap --tools DIR` pins every tool the runner and the builders\ninstall by the sha256 of its file in DIR. paasc downloads nothing: fetch the\nfile from its vendor (the help names where), check it against the vendor's\nchecksum or signature, and put it in DIR under the name shown. The runner\nchecks each file again before it installs it.";
    ToolAmbiguous = "E0401", Error, "two files for one tool",
        "The tools directory holds two versions of one tool. The runner installs exactly\none: keep the file of the version you mean and move the other away.";
    DuplicateRelease = "E0402", Error, "one app and env in two specs",
        "`paasc bootstrap` was given two specs that define the same app name with the\nsame env. An app and env is released by exactly one pipeline (its state\nmachine, its role, its parameters): rename the app in one of the specs.";
    ToolVersion = "E0403", Error, "a tool's version is not the one the specs pin",
        "App modules require the exact hashicorp/aws provider `pipeline.aws_provider`\nand templates the exact packer-plugin-amazon `pipeline.packer_plugin` (defaults\nare the versions paasc is tested with). The runner installs the one version\nof each that the tools directory holds and fetches nothing, so the two must\nagree: put the pinned version in the tools directory, or pin the one it has.";
    ChefCookbookMissing = "E0410", Error, "a cookbook the run list needs is not in the chef repo",
        "With a chef repo beside the spec (`cookbooks/`, `roles/`) or given with\n`--chef-repo DIR`, every run-list entry must resolve there: `nginx::default`\nneeds `cookbooks/nginx/`. paasc vendors what the run list needs into the\nbuild, so the builder converges offline; a missing cookbook would only fail\nthere, half an hour into a bake.";
    ChefRecipeMissing = "E0411", Error, "a recipe the run list names does not exist",
        "`cookbook::recipe` needs `cookbooks/<cookbook>/recipes/<recipe>.rb`; a bare\n`cookbook` means its `default` recipe.";
    ChefVersionMismatch = "E0412", Error, "the run list pins another version than the repo holds",
        "`nginx@12.2.0` pins the cookbook's version: the chef repo's\n`cookbooks/nginx/metadata.rb` must say `version '12.2.0'`. Chef in local mode\nhas exactly the one version the repo holds.";
    ChefRoleMissing = "E0413", Error, "a role the run list names is not in the chef repo",
        "`role[web]` needs `roles/web.json` (a JSON role with a `run_list`). Ruby roles\n(`roles/web.rb`) are not read: `knife role show web -F json` converts one.";
    ChefRoleCycle = "E0414", Error, "roles include each other",
        "A role's run list reaches back to itself through other roles (`role[a]` ->\n`role[b]` -> `role[a]`). Chef would expand it forever: remove one of the\nentries that close the circle.";
    ChefDependencyMissing = "E0415", Error, "a cookbook depends on one the repo does not have",
        "Every `depends` of every cookbook the run list needs (transitively) must be in\nthe chef repo: vendoring brings exactly those cookbooks to the builder.";
    ChefDependencyVersion = "E0416", Error, "a dependency's version constraint does not hold",
        "A cookbook's metadata says `depends 'ohai', '~> 5.0'` and the repo's `ohai` is\nanother version. Constraints: `= 1.2.3`, `>= 1.0`, `> 1.0`, `< 2.0`, `<= 2.0`,\n`~> 2.1` (at least 2.1, below 3.0), `~> 2.1.3` (at least 2.1.3, below 2.2.0).";
    ChefLockMismatch = "E0417", Error, "the chef repo disagrees with its lock file",
        "A `Policyfile.lock.json` or `Berksfile.lock` at the repo's root pins the\nversion of every cookbook; each cookbook the run list needs must be in the\nlock at the version the repo holds. paasc reads the lock and never fetches.";
    ChefRepoFile = "E0418", Error, "a chef repo file cannot be used",
        "A cookbook or role the run list needs cannot be read as Chef reads it: no\nmetadata, metadata naming another cookbook than its directory, a role that is\nnot JSON, an entry that is not a run-list entry, a file that is not UTF-8\ntext (paasc vendors text only), or a role named like the app (paasc\ngenerates that one).";
    Internal = "E0900", Error, "internal error",
        "paasc failed to build an artifact from a valid spec. This is a bug in paasc,\nnot in the spec: please report it with the spec and the output of\n`paasc --version`. Nothing was written.";
    LaunchConfiguration = "W0001", Warning, "launch configurations are deprecated",
        "AWS accounts created on or after 2024-10-01 cannot create launch\nconfigurations, and older accounts lose them over time. paasc still emits\n`aws_launch_configuration` for `fleet.launch = configuration`; move to\n`launch = template` (the default) when you can.";
    PlainHttp = "W0002", Warning, "service is served over plain HTTP",
        "Without `service.https` (an ACM certificate ARN) the load balancer listens on\nplain HTTP. Regulated workloads need TLS in transit: add a certificate.";
    UnusedParam = "W0003", Warning, "unused param",
        "The param is declared but no string interpolates it with `${name}`.";
}
