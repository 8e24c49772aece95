"""E9001: every Lambda function logs to a log group of this template that expires its events."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import (
    FUNCTION_TYPES,
    CfnTemplate,
    Findings,
    dig,
    property_variants,
    ref_target,
    resource,
    resources,
)


class FunctionLogGroupRetention(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9001"
    shortdesc = "Lambda functions log to a template log group with a retention"
    description = (
        "Every AWS::Lambda::Function / AWS::Serverless::Function sets LoggingConfig.LogGroup to !Ref "
        "an AWS::Logs::LogGroup declared in the template, and that log group sets RetentionInDays. "
        "Otherwise Lambda writes to /aws/lambda/<name>, created on first invoke, kept forever and "
        "left behind when the stack is deleted; logs of a contact center must expire."
    )
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html"
    tags: ClassVar[tuple[str, ...]] = ("lambda", "logs", "retention")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        for logical_id, body in resources(cfn, *FUNCTION_TYPES):
            properties_path = ["Resources", logical_id, "Properties"]
            for properties in property_variants(cfn, body):
                log_group = dig(properties, "LoggingConfig", "LogGroup")
                if log_group is None:
                    findings.add(
                        [*properties_path, "LoggingConfig"],
                        f"Function {logical_id} has no LoggingConfig.LogGroup: set it to !Ref an "
                        "AWS::Logs::LogGroup of this template with RetentionInDays",
                    )
                    continue
                target = ref_target(log_group)
                group = resource(cfn, target)
                if target is None or group is None or group.get("Type") != "AWS::Logs::LogGroup":
                    findings.add(
                        [*properties_path, "LoggingConfig", "LogGroup"],
                        f"Function {logical_id}: LoggingConfig.LogGroup must be !Ref an "
                        f"AWS::Logs::LogGroup declared in this template (got {log_group!r})",
                    )
                    continue
                for group_properties in property_variants(cfn, group):
                    if group_properties.get("RetentionInDays") is None:
                        findings.add(
                            ["Resources", target, "Properties"],
                            f"Log group {target} of function {logical_id} has no RetentionInDays: "
                            "its events would be kept forever",
                        )
        return findings.matches()
