"""E9007: SQS queues, SNS topics and Kinesis streams encrypt what they hold."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import CfnTemplate, Findings, dig, is_false, is_true, property_variants, resources


def _key_set(value: Any) -> bool:
    """A KMS key given literally (non-empty) or by an intrinsic function (Ref, GetAtt, If...)."""
    return (isinstance(value, str) and bool(value.strip())) or (isinstance(value, dict) and bool(value))


class QueueTopicStreamEncryption(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9007"
    shortdesc = "SQS queues, SNS topics and Kinesis streams are encrypted at rest"
    description = (
        "Every AWS::SQS::Queue sets SqsManagedSseEnabled: true or a KmsMasterKeyId (and not both "
        "SqsManagedSseEnabled: false and no key), every AWS::SNS::Topic sets a KmsMasterKeyId, and every "
        "AWS::Kinesis::Stream sets StreamEncryption with EncryptionType KMS and a KeyId: queued contact "
        "events, alerts and transcript records carry caller data."
    )
    source_url = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html"
    tags: ClassVar[tuple[str, ...]] = ("sqs", "sns", "kinesis", "encryption")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        for logical_id, body in resources(cfn, "AWS::SQS::Queue"):
            for properties in property_variants(cfn, body):
                managed = properties.get("SqsManagedSseEnabled")
                if not (
                    is_true(managed) or (_key_set(properties.get("KmsMasterKeyId")) and not is_false(managed))
                ):
                    findings.add(
                        ["Resources", logical_id, "Properties"],
                        f"SQS queue {logical_id} must set SqsManagedSseEnabled: true or a KmsMasterKeyId",
                    )
        for logical_id, body in resources(cfn, "AWS::SNS::Topic"):
            for properties in property_variants(cfn, body):
                if not _key_set(properties.get("KmsMasterKeyId")):
                    findings.add(
                        ["Resources", logical_id, "Properties", "KmsMasterKeyId"],
                        f"SNS topic {logical_id} must set KmsMasterKeyId (alias/aws/sns or a key of yours)",
                    )
        for logical_id, body in resources(cfn, "AWS::Kinesis::Stream"):
            for properties in property_variants(cfn, body):
                encryption = properties.get("StreamEncryption")
                if not (dig(encryption, "EncryptionType") == "KMS" and _key_set(dig(encryption, "KeyId"))):
                    findings.add(
                        ["Resources", logical_id, "Properties", "StreamEncryption"],
                        f"Kinesis stream {logical_id} must set StreamEncryption (EncryptionType: KMS, KeyId)",
                    )
        return findings.matches()
