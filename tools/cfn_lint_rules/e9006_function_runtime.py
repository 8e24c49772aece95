"""E9006: every Lambda function runs python3.13 on arm64."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import FUNCTION_TYPES, CfnTemplate, Findings, dig, property_variants, resources

RUNTIME = "python3.13"
ARCHITECTURES = ["arm64"]


class FunctionRuntime(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9006"
    shortdesc = "Lambda functions use python3.13 on arm64"
    description = (
        "Every AWS::Lambda::Function / AWS::Serverless::Function sets Runtime python3.13 and "
        "Architectures [arm64]: the common layer is built for exactly that runtime and architecture. "
        "Container-image functions have no Runtime, so the rule cannot check them and reports them "
        "instead; suppress E9006 in the resource's Metadata if an image is intended."
    )
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html"
    tags: ClassVar[tuple[str, ...]] = ("lambda", "runtime", "arm64")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        for logical_id, body in resources(cfn, *FUNCTION_TYPES):
            base = ["Resources", logical_id, "Properties"]
            for properties in property_variants(cfn, body):
                if _is_image(properties):
                    findings.add(
                        base,
                        f"Function {logical_id} is a container image: it has no Runtime, so the "
                        f"{RUNTIME}/arm64 policy cannot be checked; ship it as a zip or suppress E9006",
                    )
                    continue
                runtime = properties.get("Runtime")
                if runtime != RUNTIME:
                    findings.add(
                        [*base, "Runtime"],
                        f"Function {logical_id} must set Runtime {RUNTIME} (got {runtime!r})",
                    )
                architectures = properties.get("Architectures")
                if architectures != ARCHITECTURES:
                    findings.add(
                        [*base, "Architectures"],
                        f"Function {logical_id} must set Architectures [arm64] (got {architectures!r}; "
                        "absent means x86_64)",
                    )
        return findings.matches()


def _is_image(properties: dict[str, Any]) -> bool:
    if properties.get("PackageType") == "Image":
        return True
    if "Runtime" in properties:
        return False
    return properties.get("ImageUri") is not None or dig(properties, "Code", "ImageUri") is not None
