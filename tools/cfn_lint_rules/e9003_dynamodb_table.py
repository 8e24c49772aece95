"""E9003: DynamoDB tables are encrypted with KMS, on-demand and expire their items."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import CfnTemplate, Findings, dig, is_true, property_variants, resources

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


class DynamoDbTableSettings(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9003"
    shortdesc = "DynamoDB tables use SSE, PAY_PER_REQUEST and TTL"
    description = (
        "Every AWS::DynamoDB::Table (and GlobalTable) sets SSESpecification.SSEEnabled: true (KMS "
        "encryption, the table holds caller data), BillingMode: PAY_PER_REQUEST (call traffic is "
        "bursty) and an enabled TimeToLiveSpecification with an AttributeName (nothing is kept "
        "forever). AWS::Serverless::SimpleTable cannot express TTL, so it is refused."
    )
    source_url = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html"
    tags: ClassVar[tuple[str, ...]] = ("dynamodb", "encryption", "retention")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        for logical_id, body in resources(cfn, *TABLE_TYPES):
            base = ["Resources", logical_id, "Properties"]
            for properties in property_variants(cfn, body):
                if not is_true(dig(properties, "SSESpecification", "SSEEnabled")):
                    findings.add(
                        [*base, "SSESpecification"],
                        f"DynamoDB table {logical_id} must set SSESpecification.SSEEnabled: true",
                    )
                billing_mode = properties.get("BillingMode")
                if billing_mode != "PAY_PER_REQUEST":
                    findings.add(
                        [*base, "BillingMode"],
                        f"DynamoDB table {logical_id} must set BillingMode: PAY_PER_REQUEST "
                        f"(got {billing_mode!r})",
                    )
                ttl = properties.get("TimeToLiveSpecification")
                attribute = dig(ttl, "AttributeName")
                if not (is_true(dig(ttl, "Enabled")) and isinstance(attribute, str) and attribute):
                    findings.add(
                        [*base, "TimeToLiveSpecification"],
                        f"DynamoDB table {logical_id} must enable TimeToLiveSpecification "
                        "(Enabled: true and an AttributeName)",
                    )
        for logical_id, _ in resources(cfn, "AWS::Serverless::SimpleTable"):
            findings.add(
                ["Resources", logical_id, "Type"],
                f"{logical_id} is an AWS::Serverless::SimpleTable, which cannot enable TTL or on-demand "
                "settings explicitly; declare an AWS::DynamoDB::Table",
            )
        return findings.matches()
