"""E9008: functions invoked asynchronously keep what they fail on (failure destination or DLQ)."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import (
    CfnTemplate,
    Findings,
    dig,
    getatt_target,
    literal_text,
    property_variants,
    ref_target,
    resources,
)

# SAM event types whose service invokes the function asynchronously (Lambda retries twice, then drops).
ASYNC_SAM_EVENTS = frozenset(
    {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "S3", "SNS", "CloudWatchLogs", "IoTRule"}
)
# Principals of AWS::Lambda::Permission that invoke asynchronously.
ASYNC_PRINCIPALS = frozenset(
    {
        "events.amazonaws.com",
        "scheduler.amazonaws.com",
        "s3.amazonaws.com",
        "sns.amazonaws.com",
        "logs.amazonaws.com",
        "iot.amazonaws.com",
    }
)


def _names_function(value: Any) -> str | None:
    """The logical id a FunctionName/TargetArn refers to (Ref, GetAtt .Arn, or Ref Function.Alias)."""
    target = ref_target(value)
    if target is not None:
        return target.removesuffix(".Alias")
    attribute = getatt_target(value)
    return attribute[0] if attribute is not None else None


def _set(value: Any) -> bool:
    return (isinstance(value, str) and bool(value.strip())) or (isinstance(value, dict) and bool(value))


class AsyncFailureDestination(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9008"
    shortdesc = "Asynchronously invoked functions have a failure destination or a dead-letter queue"
    description = (
        "An AWS::Serverless::Function with an asynchronous event (Schedule, ScheduleV2, EventBridgeRule, "
        "CloudWatchEvent, S3, SNS, CloudWatchLogs, IoTRule) or an EventInvokeConfig, and an "
        "AWS::Lambda::Function that an asynchronous service may invoke (a Lambda permission for "
        "EventBridge, Scheduler, S3, SNS, CloudWatch Logs or IoT, or an AWS::Lambda::EventInvokeConfig), "
        "sets an on-failure destination (EventInvokeConfig DestinationConfig.OnFailure.Destination) or a "
        "dead-letter queue: Lambda drops an asynchronous event after its retries otherwise."
    )
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
    tags: ClassVar[tuple[str, ...]] = ("lambda", "resilience", "asynchronous")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        invoke_configs = _invoke_config_destinations(cfn)
        async_targets = _async_permission_targets(cfn) | set(invoke_configs)
        for logical_id, body in resources(cfn, "AWS::Serverless::Function"):
            for properties in property_variants(cfn, body):
                events = properties.get("Events")
                kinds = sorted(
                    {str(dig(e, "Type")) for e in events.values() if dig(e, "Type") in ASYNC_SAM_EVENTS}
                    if isinstance(events, dict)
                    else set()
                )
                is_async = bool(kinds) or "EventInvokeConfig" in properties or logical_id in async_targets
                if is_async and not (
                    _set(
                        dig(properties, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")
                    )
                    or _set(dig(properties, "DeadLetterQueue", "TargetArn"))
                    or invoke_configs.get(logical_id)
                ):
                    why = f"{', '.join(kinds)} event(s)" if kinds else "asynchronous invocation"
                    findings.add(
                        ["Resources", logical_id, "Properties"],
                        f"Function {logical_id} ({why}) must set EventInvokeConfig.DestinationConfig."
                        "OnFailure.Destination or a DeadLetterQueue",
                    )
        for logical_id, body in resources(cfn, "AWS::Lambda::Function"):
            if logical_id not in async_targets:
                continue
            for properties in property_variants(cfn, body):
                if not (
                    _set(dig(properties, "DeadLetterConfig", "TargetArn")) or invoke_configs.get(logical_id)
                ):
                    findings.add(
                        ["Resources", logical_id, "Properties"],
                        f"Function {logical_id} (asynchronous invocation) must have an "
                        "AWS::Lambda::EventInvokeConfig with an OnFailure destination or a DeadLetterConfig",
                    )
        return findings.matches()


def _invoke_config_destinations(cfn: CfnTemplate) -> dict[str, bool]:
    """Function logical id -> whether its AWS::Lambda::EventInvokeConfig names an OnFailure destination."""
    found: dict[str, bool] = {}
    for _, body in resources(cfn, "AWS::Lambda::EventInvokeConfig"):
        for properties in property_variants(cfn, body):
            function = _names_function(properties.get("FunctionName")) or literal_text(
                properties.get("FunctionName")
            )
            if function:
                destination = dig(properties, "DestinationConfig", "OnFailure", "Destination")
                found[function] = found.get(function, True) and _set(destination)
    return found


def _async_permission_targets(cfn: CfnTemplate) -> set[str]:
    targets: set[str] = set()
    for _, body in resources(cfn, "AWS::Lambda::Permission"):
        for properties in property_variants(cfn, body):
            if literal_text(properties.get("Principal")) in ASYNC_PRINCIPALS:
                function = _names_function(properties.get("FunctionName"))
                if function:
                    targets.add(function)
    return targets
