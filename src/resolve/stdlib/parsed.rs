//! The stdlib's syntax trees: generated from `stdlib/*.paas` by
//! `PAASC_REGEN=1 cargo test --lib stdlib`. Do not edit; see `stdlib.rs`.

#![allow(unused_imports)]

use super::{ident, sp, text};
use crate::source::FileId;
use crate::syntax::ast::{Attr, Block, CheckLine, File, Item, StrPart, Value, ValueKind};

/// The fingerprint of the stdlib this was generated from.
pub(super) const FINGERPRINT: u64 = 0x233f3746c09a95f8;

/// `stdlib/images.paas`.
pub(super) fn images(f: FileId) -> File {
    File {
        items: vec![
            Item::Block(Block {
                name: ident(f, "base", 327, 331),
                label: Some(ident(f, "amazon-linux-2023", 332, 349)),
                items: vec![
                    Item::Attr(Attr { key: ident(f, "owner", 354, 359), value: text(f, "amazon", 365, 373), span: sp(f, 354, 373) }),
                    Item::Attr(Attr { key: ident(f, "filter", 376, 382), value: text(f, "al2023-ami-2023.*-x86_64", 387, 413), span: sp(f, 376, 413) }),
                    Item::Attr(Attr { key: ident(f, "user", 416, 420), value: text(f, "ec2-user", 427, 437), span: sp(f, 416, 437) }),
                    Item::Attr(Attr { key: ident(f, "platform", 440, 448), value: text(f, "amazon", 451, 459), span: sp(f, 440, 459) }),
                ],
                span: sp(f, 327, 461),
                had_errors: false,
            }),
            Item::Block(Block {
                name: ident(f, "base", 463, 467),
                label: Some(ident(f, "amazon-linux-2", 468, 482)),
                items: vec![
                    Item::Attr(Attr { key: ident(f, "owner", 487, 492), value: text(f, "amazon", 498, 506), span: sp(f, 487, 506) }),
                    Item::Attr(Attr { key: ident(f, "filter", 509, 515), value: text(f, "amzn2-ami-hvm-2.0.*-x86_64-gp2", 520, 552), span: sp(f, 509, 552) }),
                    Item::Attr(Attr { key: ident(f, "user", 555, 559), value: text(f, "ec2-user", 566, 576), span: sp(f, 555, 576) }),
                    Item::Attr(Attr { key: ident(f, "platform", 579, 587), value: text(f, "amazon", 590, 598), span: sp(f, 579, 598) }),
                ],
                span: sp(f, 463, 600),
                had_errors: false,
            }),
            Item::Block(Block {
                name: ident(f, "base", 602, 606),
                label: Some(ident(f, "ubuntu-22.04", 607, 619)),
                items: vec![
                    Item::Attr(Attr { key: ident(f, "owner", 624, 629), value: text(f, "099720109477", 635, 649), span: sp(f, 624, 649) }),
                    Item::Attr(Attr { key: ident(f, "filter", 652, 658), value: text(f, "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*", 663, 720), span: sp(f, 652, 720) }),
                    Item::Attr(Attr { key: ident(f, "user", 723, 727), value: text(f, "ubuntu", 734, 742), span: sp(f, 723, 742) }),
                    Item::Attr(Attr { key: ident(f, "platform", 745, 753), value: text(f, "ubuntu", 756, 764), span: sp(f, 745, 764) }),
                ],
                span: sp(f, 602, 766),
                had_errors: false,
            }),
            Item::Block(Block {
                name: ident(f, "base", 768, 772),
                label: Some(ident(f, "ubuntu-24.04", 773, 785)),
                items: vec![
                    Item::Attr(Attr { key: ident(f, "owner", 790, 795), value: text(f, "099720109477", 801, 815), span: sp(f, 790, 815) }),
                    Item::Attr(Attr { key: ident(f, "filter", 818, 824), value: text(f, "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*", 829, 890), span: sp(f, 818, 890) }),
                    Item::Attr(Attr { key: ident(f, "user", 893, 897), value: text(f, "ubuntu", 904, 912), span: sp(f, 893, 912) }),
                    Item::Attr(Attr { key: ident(f, "platform", 915, 923), value: text(f, "ubuntu", 926, 934), span: sp(f, 915, 934) }),
                ],
                span: sp(f, 768, 936),
                had_errors: false,
            }),
            Item::Block(Block {
                name: ident(f, "base", 938, 942),
                label: Some(ident(f, "rhel-9", 943, 949)),
                items: vec![
                    Item::Attr(Attr { key: ident(f, "owner", 954, 959), value: text(f, "309956199498", 965, 979), span: sp(f, 954, 979) }),
                    Item::Attr(Attr { key: ident(f, "filter", 982, 988), value: text(f, "RHEL-9.*_HVM-*-x86_64-*", 993, 1018), span: sp(f, 982, 1018) }),
                    Item::Attr(Attr { key: ident(f, "user", 1021, 1025), value: text(f, "ec2-user", 1032, 1042), span: sp(f, 1021, 1042) }),
                    Item::Attr(Attr { key: ident(f, "platform", 1045, 1053), value: text(f, "redhat", 1056, 1064), span: sp(f, 1045, 1064) }),
                ],
                span: sp(f, 938, 1066),
                had_errors: false,
            }),
        ],
        had_errors: false,
    }
}

/// `stdlib/controls.paas`.
pub(super) fn controls(f: FileId) -> File {
    File {
        items: vec![
            Item::Block(Block {
                name: ident(f, "controls", 282, 290),
                label: Some(ident(f, "baseline", 291, 299)),
                items: vec![
                    Item::Check(CheckLine { kind: ident(f, "port", 304, 308), args: vec![Value { kind: ValueKind::Int(22), span: sp(f, 309, 311) }, Value { kind: ValueKind::Name("closed".into()), span: sp(f, 312, 318) }, ], span: sp(f, 304, 318) }),
                    Item::Check(CheckLine { kind: ident(f, "service", 321, 328), args: vec![Value { kind: ValueKind::Name("amazon-ssm-agent".into()), span: sp(f, 329, 345) }, Value { kind: ValueKind::Name("running".into()), span: sp(f, 346, 353) }, ], span: sp(f, 321, 353) }),
                    Item::Check(CheckLine { kind: ident(f, "service", 356, 363), args: vec![Value { kind: ValueKind::Name("amazon-cloudwatch-agent".into()), span: sp(f, 364, 387) }, Value { kind: ValueKind::Name("running".into()), span: sp(f, 388, 395) }, ], span: sp(f, 356, 395) }),
                    Item::Check(CheckLine { kind: ident(f, "service", 398, 405), args: vec![Value { kind: ValueKind::Name("auditd".into()), span: sp(f, 406, 412) }, Value { kind: ValueKind::Name("running".into()), span: sp(f, 413, 420) }, ], span: sp(f, 398, 420) }),
                    Item::Check(CheckLine { kind: ident(f, "file", 423, 427), args: vec![text(f, "/etc/passwd", 428, 441), Value { kind: ValueKind::Name("exists".into()), span: sp(f, 442, 448) }, Value { kind: ValueKind::Name("mode".into()), span: sp(f, 449, 453) }, text(f, "0644", 454, 460), Value { kind: ValueKind::Name("owner".into()), span: sp(f, 461, 466) }, Value { kind: ValueKind::Name("root".into()), span: sp(f, 467, 471) }, ], span: sp(f, 423, 471) }),
                    Item::Check(CheckLine { kind: ident(f, "file", 474, 478), args: vec![text(f, "/etc/group", 479, 491), Value { kind: ValueKind::Name("exists".into()), span: sp(f, 492, 498) }, Value { kind: ValueKind::Name("mode".into()), span: sp(f, 499, 503) }, text(f, "0644", 504, 510), Value { kind: ValueKind::Name("owner".into()), span: sp(f, 511, 516) }, Value { kind: ValueKind::Name("root".into()), span: sp(f, 517, 521) }, ], span: sp(f, 474, 521) }),
                    Item::Check(CheckLine { kind: ident(f, "file", 524, 528), args: vec![text(f, "/root/.ssh/authorized_keys", 529, 557), Value { kind: ValueKind::Name("absent".into()), span: sp(f, 558, 564) }, ], span: sp(f, 524, 564) }),
                    Item::Check(CheckLine { kind: ident(f, "command", 567, 574), args: vec![text(f, "test -z \"$(find / -xdev -type f -perm -0002 -print -quit 2>/dev/null)\"", 575, 649), Value { kind: ValueKind::Name("exits".into()), span: sp(f, 650, 655) }, Value { kind: ValueKind::Int(0), span: sp(f, 656, 657) }, ], span: sp(f, 567, 657) }),
                ],
                span: sp(f, 282, 659),
                had_errors: false,
            }),
        ],
        had_errors: false,
    }
}
