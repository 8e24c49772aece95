"""E9004: S3 buckets are encrypted, private and reachable over TLS only."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import (
    CfnTemplate,
    Findings,
    as_list,
    dig,
    is_false,
    is_true,
    json_value,
    literal_text,
    property_variants,
    ref_target,
    resources,
)

PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
TLS_CONDITION_OPERATORS = ("bool", "boolifexists")


class S3BucketProtection(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9004"
    shortdesc = "S3 buckets are encrypted, block public access and deny plain HTTP"
    description = (
        "Every AWS::S3::Bucket sets BucketEncryption, a PublicAccessBlockConfiguration with "
        "BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and RestrictPublicBuckets all true, and "
        "has an AWS::S3::BucketPolicy in this template (Bucket: !Ref it) with a statement that "
        "denies s3:* to every principal when aws:SecureTransport is false."
    )
    source_url = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
    tags: ClassVar[tuple[str, ...]] = ("s3", "encryption", "tls", "public-access")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        policies: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for policy_id, policy in resources(cfn, "AWS::S3::BucketPolicy"):
            for properties in property_variants(cfn, policy):
                bucket = ref_target(properties.get("Bucket"))
                if bucket is not None and all(p != policy_id for p, _ in policies.get(bucket, [])):
                    policies.setdefault(bucket, []).append((policy_id, policy))

        for logical_id, body in resources(cfn, "AWS::S3::Bucket"):
            base = ["Resources", logical_id, "Properties"]
            for properties in property_variants(cfn, body):
                encryption = dig(properties, "BucketEncryption", "ServerSideEncryptionConfiguration")
                if not (isinstance(encryption, list) and encryption):
                    findings.add(
                        [*base, "BucketEncryption"],
                        f"S3 bucket {logical_id} must set BucketEncryption.ServerSideEncryptionConfiguration",
                    )
                block = properties.get("PublicAccessBlockConfiguration")
                missing = [flag for flag in PUBLIC_ACCESS_FLAGS if not is_true(dig(block, flag))]
                if missing:
                    findings.add(
                        [*base, "PublicAccessBlockConfiguration"],
                        f"S3 bucket {logical_id} must set PublicAccessBlockConfiguration "
                        f"{', '.join(missing)} to true",
                    )
            candidates = policies.get(logical_id, [])
            if not candidates:
                findings.add(
                    ["Resources", logical_id],
                    f"S3 bucket {logical_id} has no AWS::S3::BucketPolicy in this template; add one that "
                    "denies s3:* when aws:SecureTransport is false",
                )
            elif not any(_always_denies_plain_http(cfn, policy) for _, policy in candidates):
                names = ", ".join(policy_id for policy_id, _ in candidates)
                findings.add(
                    ["Resources", candidates[0][0], "Properties", "PolicyDocument"],
                    f"Bucket policy {names} of S3 bucket {logical_id} must deny s3:* to every principal "
                    "when aws:SecureTransport is false (Condition Bool aws:SecureTransport: false)",
                )
        return findings.matches()


def _always_denies_plain_http(cfn: CfnTemplate, policy: dict[str, Any]) -> bool:
    documents = [
        json_value(properties.get("PolicyDocument")) for properties in property_variants(cfn, policy)
    ]
    return bool(documents) and all(_denies_plain_http(document) for document in documents)


def _denies_plain_http(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    return any(_is_tls_guard(statement) for statement in as_list(document.get("Statement")))


def _is_tls_guard(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    actions = [literal_text(action) for action in as_list(statement.get("Action"))]
    if not any(action is not None and action.strip().lower() in ("*", "s3:*") for action in actions):
        return False
    principal = statement.get("Principal")
    if not (principal == "*" or any(item == "*" for item in as_list(dig(principal, "AWS")))):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if not (isinstance(operator, str) and operator.lower() in TLS_CONDITION_OPERATORS):
            continue
        if not isinstance(tests, dict):
            continue
        for key, value in tests.items():
            is_tls_key = isinstance(key, str) and key.lower() == "aws:securetransport"
            if is_tls_key and any(is_false(item) for item in as_list(value)):
                return True
    return False
