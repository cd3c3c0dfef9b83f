//! Facts about AWS that the checks need: known regions, EC2 instance
//! families and sizes, CloudWatch Logs' allowed retentions.

pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Instance families paasc accepts (current generations with x86_64 or
/// Graviton builds; the AMI's architecture is the base image's concern).
pub const INSTANCE_FAMILIES: &[&str] = &[
    "a1", "c5", "c5a", "c5ad", "c5d", "c5n", "c6a", "c6g", "c6gd", "c6gn", "c6i", "c6id", "c6in",
    "c7a", "c7g", "c7gd", "c7gn", "c7i", "c7i-flex", "c8g", "d3", "d3en", "g4dn", "g5", "g6", "i3",
    "i3en", "i4i", "i7ie", "im4gn", "inf2", "is4gen", "m5", "m5a", "m5ad", "m5d", "m5dn", "m5n",
    "m5zn", "m6a", "m6g", "m6gd", "m6i", "m6id", "m6idn", "m6in", "m7a", "m7g", "m7gd", "m7i",
    "m7i-flex", "m8g", "p4d", "p5", "r5", "r5a", "r5ad", "r5b", "r5d", "r5dn", "r5n", "r6a", "r6g",
    "r6gd", "r6i", "r6id", "r6idn", "r6in", "r7a", "r7g", "r7gd", "r7i", "r7iz", "r8g", "t2", "t3",
    "t3a", "t4g", "trn1", "u-3tb1", "x2gd", "x2idn", "x2iedn", "x2iezn", "z1d",
];

pub const INSTANCE_SIZES: &[&str] = &[
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "3xlarge",
    "4xlarge",
    "6xlarge",
    "8xlarge",
    "9xlarge",
    "10xlarge",
    "12xlarge",
    "16xlarge",
    "18xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
    "56xlarge",
    "metal",
    "metal-24xl",
    "metal-48xl",
];

/// CloudWatch Logs `retention_in_days` values.
pub const RETENTIONS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Step Functions: executions and Wait states last at most one year.
pub const MAX_SECONDS: u64 = 365 * 24 * 3600;
