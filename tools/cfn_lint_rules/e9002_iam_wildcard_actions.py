"""E9002: no IAM policy allows every action, or every action of a service."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import (
    CfnTemplate,
    Findings,
    PathItem,
    as_list,
    json_value,
    literal_text,
    property_variants,
    resources,
)

# Resources whose PolicyDocument property is one identity policy.
DOCUMENT_TYPES = (
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::UserPolicy",
    "AWS::IAM::GroupPolicy",
)
# Resources with inline Policies: [{PolicyName, PolicyDocument}] and ManagedPolicyArns.
IDENTITY_TYPES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
# SAM resources whose Policies (documents, managed policy names/ARNs, policy templates) become a role.
SAM_TYPES = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")

WILDCARD_ACTION = re.compile(r"\*|[A-Za-z0-9-]+:\*")
# AWS managed policies made of "<service>:*" or "*" (AmazonS3FullAccess, AWSLambda_FullAccess...).
BROAD_MANAGED_POLICY = re.compile(r"(?:FullAccess|(?:^|[/:])(?:AdministratorAccess|PowerUserAccess))$")


class IamWildcardActions(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9002"
    shortdesc = "IAM policies do not allow '*' or '<service>:*' actions"
    description = (
        "Least privilege: no Allow statement in an IAM identity policy (AWS::IAM::Policy, "
        "AWS::IAM::ManagedPolicy, inline policies of roles/users/groups, and the Policies of SAM "
        "functions and state machines) lists the action '*' or '<service>:*', or uses NotAction; "
        "and no role attaches an AWS managed *FullAccess / AdministratorAccess / PowerUserAccess policy."
    )
    source_url = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"
    tags: ClassVar[tuple[str, ...]] = ("iam", "least-privilege")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        for logical_id, body in resources(cfn, *DOCUMENT_TYPES):
            base: list[PathItem] = ["Resources", logical_id, "Properties"]
            for properties in property_variants(cfn, body):
                owner = f"{body.get('Type')} {logical_id}"
                _check_document(findings, [*base, "PolicyDocument"], owner, properties.get("PolicyDocument"))
        for logical_id, body in resources(cfn, *IDENTITY_TYPES):
            base = ["Resources", logical_id, "Properties"]
            for properties in property_variants(cfn, body):
                for index, policy in enumerate(as_list(properties.get("Policies"))):
                    if isinstance(policy, dict):
                        name = policy.get("PolicyName")
                        name = name if isinstance(name, str) else f"#{index}"
                        owner = f"{body.get('Type')} {logical_id} policy {name}"
                        _check_document(
                            findings,
                            [*base, "Policies", index, "PolicyDocument"],
                            owner,
                            policy.get("PolicyDocument"),
                        )
                for index, arn in enumerate(as_list(properties.get("ManagedPolicyArns"))):
                    _check_managed_policy(
                        findings, [*base, "ManagedPolicyArns", index], f"{body.get('Type')} {logical_id}", arn
                    )
        for logical_id, body in resources(cfn, *SAM_TYPES):
            base = ["Resources", logical_id, "Properties"]
            owner = f"{body.get('Type')} {logical_id} (its generated role)"
            for properties in property_variants(cfn, body):
                for index, policy in enumerate(as_list(properties.get("Policies"))):
                    path = [*base, "Policies", index]
                    if isinstance(policy, dict) and "Statement" in policy:
                        _check_document(findings, path, owner, policy)
                    else:  # a managed policy name/ARN; SAM policy templates ({XxxPolicy: {...}}) are scoped
                        _check_managed_policy(findings, path, owner, policy)
        return findings.matches()


def _check_document(findings: Findings, path: list[PathItem], owner: str, document: Any) -> None:
    document = json_value(document)
    if not isinstance(document, dict):
        return
    for index, statement in enumerate(as_list(document.get("Statement"))):
        if not isinstance(statement, dict) or statement.get("Effect") == "Deny":
            continue  # anything but a literal Deny may allow
        sid = statement.get("Sid")
        label = f"statement {sid}" if isinstance(sid, str) and sid else f"statement #{index}"
        statement_path = [*path, "Statement", index]
        if "NotAction" in statement:
            findings.add(
                [*statement_path, "NotAction"],
                f"{owner}: {label} allows NotAction, i.e. every action but a few; list the actions instead",
            )
        for action in as_list(statement.get("Action")):
            text = literal_text(action)
            if text is not None and WILDCARD_ACTION.fullmatch(text.strip()):
                findings.add(
                    [*statement_path, "Action"],
                    f"{owner}: {label} allows the action {text!r}; list the actions it needs",
                )


def _check_managed_policy(findings: Findings, path: list[PathItem], owner: str, policy: Any) -> None:
    text = literal_text(policy)
    if text is not None and BROAD_MANAGED_POLICY.search(text.strip()):
        findings.add(
            path,
            f"{owner}: managed policy {text!r} allows '*' or '<service>:*' actions; "
            "use an inline policy with the actions it needs",
        )
