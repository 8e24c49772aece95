"""template.yaml read the way CloudFormation reads it, for the local stack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from connect_zendesk_local.cfn_template import (
    _SHORT_FORMS,
    PROJECT_ROOT,
    STACKS_DIR,
    TEMPLATE_PATH,
    PhysicalResource,
    Template,
    load_nested_stack,
    load_template,
    nested_stack_paths,
)

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/contacts"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:zendesk-AbCdEf"


def small(parameters: dict[str, Any] | None = None, **sections: Any) -> Template:
    """A template built from an in-memory document with a few parameters and conditions."""
    document: dict[str, Any] = {
        "Parameters": {
            "Env": {"Type": "String", "Default": "dev"},
            "Budget": {"Type": "Number", "Default": 3000},
            "KmsKey": {"Type": "String", "Default": ""},
            "Csv": {"Type": "String", "Default": "a,b,c"},
        },
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "HasKey": {"Fn::Not": [{"Fn::Equals": [{"Ref": "KmsKey"}, ""]}]},
            "ProdWithKey": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "HasKey"}]},
            "ProdOrKey": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "HasKey"}]},
        },
        **sections,
    }
    template = Template(document, parameters=parameters)
    template.physical["Table"] = PhysicalResource(ref="contacts", attributes={"Arn": TABLE_ARN})
    return template


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- loading YAML


def _long_forms(document: Any) -> dict[str, int]:
    """How many intrinsic-function nodes the document holds (aliases counted once, like in the text)."""
    counts: dict[str, int] = {}
    seen: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, (dict, list)):
            if id(value) in seen:
                return
            seen.add(id(value))
        if isinstance(value, dict):
            if len(value) == 1 and next(iter(value)) in _SHORT_FORMS.values():
                name = next(iter(value))
                counts[name] = counts.get(name, 0) + 1
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return counts


def test_real_template_loads_with_every_short_tag_in_its_long_form() -> None:
    document = load_template()
    text = "\n".join(line.split(" #")[0] for line in TEMPLATE_PATH.read_text(encoding="utf-8").splitlines())
    tags_in_text: dict[str, int] = {}
    for match in re.finditer(r"!(\w+)", text):
        long_name = _SHORT_FORMS[match.group(1)]
        tags_in_text[long_name] = tags_in_text.get(long_name, 0) + 1

    assert tags_in_text  # the template does use short forms
    assert _long_forms(document) == tags_in_text
    assert "AWS::Serverless-2016-10-31" in str(document["Transform"])


def test_real_template_getatt_short_form_becomes_a_pair() -> None:
    document = load_template()
    output = document["Outputs"]["ContactsTableName"]["Value"]
    arn = document["Outputs"]["PostCallDeadLetterQueueArn"]["Value"]

    assert output == {"Ref": "ContactsTable"}
    assert arn == {"Fn::GetAtt": ["PostCallDeadLetterQueue", "Arn"]}


def test_loader_tags_for_scalars_sequences_and_mappings(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "A: !Ref Env\n"
        "B: !GetAtt Table.Arn\n"
        "C: !GetAtt [Table, StreamArn]\n"
        "D: !Sub '${AWS::Region}-x'\n"
        "E: !Base64 {Ref: Env}\n"
        "F: !Condition IsProd\n"
        "G: !If [IsProd, !Ref Env, !Ref AWS::NoValue]\n",
    )

    assert load_template(path) == {
        "A": {"Ref": "Env"},
        "B": {"Fn::GetAtt": ["Table", "Arn"]},
        "C": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "D": {"Fn::Sub": "${AWS::Region}-x"},
        "E": {"Fn::Base64": {"Ref": "Env"}},
        "F": {"Condition": "IsProd"},
        "G": {"Fn::If": ["IsProd", {"Ref": "Env"}, {"Ref": "AWS::NoValue"}]},
    }


def test_unknown_yaml_tag_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, "A: !Bogus thing\n")

    with pytest.raises(yaml.constructor.ConstructorError, match="unknown tag !Bogus"):
        load_template(path)


def test_python_object_tags_are_not_constructed(tmp_path: Path) -> None:
    path = _write(tmp_path, "A: !!python/object/apply:os.system ['true']\n")

    with pytest.raises(yaml.YAMLError):
        load_template(path)


@pytest.mark.parametrize("text", ["- a list\n", "just text\n", ""])
def test_document_that_is_not_a_mapping_is_rejected(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match="is not a CloudFormation template"):
        load_template(_write(tmp_path, text))


def test_from_file_reads_parameters_from_the_given_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "Parameters:\n  Env: {Type: String, Default: dev}\n")

    template = Template.from_file(path, parameters={"Env": "prod"}, region="eu-west-1")

    assert template.parameters == {"Env": "prod"}
    assert template.region == "eu-west-1"


# ----------------------------------------------------------------------------- parameters


def test_parameters_take_overrides_then_defaults_as_strings() -> None:
    template = small(parameters={"Env": "prod", "Budget": 2500})  # type: ignore[dict-item]

    assert template.parameters == {"Env": "prod", "Budget": "2500", "KmsKey": "", "Csv": "a,b,c"}


def test_parameter_without_default_must_be_passed() -> None:
    document = {"Parameters": {"ZendeskSubdomain": {"Type": "String"}}}

    with pytest.raises(ValueError, match="ZendeskSubdomain has no default"):
        Template(document)
    assert Template(document, parameters={"ZendeskSubdomain": "acme"}).parameters == {
        "ZendeskSubdomain": "acme"
    }


def test_real_template_requires_subdomain_and_email() -> None:
    with pytest.raises(ValueError, match="has no default"):
        Template.from_file()


# ----------------------------------------------------------------------------- Ref, GetAtt, Sub


def test_ref_resolves_parameters_and_created_resources() -> None:
    template = small()

    assert template.resolve({"Ref": "Env"}) == "dev"
    assert template.resolve({"Ref": "Table"}) == "contacts"


def test_ref_resolves_pseudo_parameters() -> None:
    template = Template({}, region="eu-central-1", account_id="111122223333", stack_name="demo")

    assert template.resolve(
        [
            {"Ref": "AWS::Region"},
            {"Ref": "AWS::AccountId"},
            {"Ref": "AWS::StackName"},
            {"Ref": "AWS::Partition"},
            {"Ref": "AWS::URLSuffix"},
        ]
    ) == ["eu-central-1", "111122223333", "demo", "aws", "amazonaws.com"]


def test_unknown_ref_raises_key_error() -> None:
    with pytest.raises(KeyError, match="NotCreatedYet"):
        small().resolve({"Ref": "NotCreatedYet"})


@pytest.mark.parametrize("argument", [["Table", "Arn"], "Table.Arn"])
def test_getatt_resolves_recorded_attributes(argument: Any) -> None:
    assert small().resolve({"Fn::GetAtt": argument}) == TABLE_ARN


@pytest.mark.parametrize("argument", [["Table", "StreamArn"], ["Missing", "Arn"]])
def test_getatt_of_unknown_resource_or_attribute_raises_key_error(argument: list[str]) -> None:
    with pytest.raises(KeyError, match="not available in the local stack"):
        small().resolve({"Fn::GetAtt": argument})


def test_sub_resolves_refs_pseudo_parameters_and_attributes() -> None:
    text = "${AWS::StackName}/${Env}/${Table}/${Table.Arn}/${AWS::Region}"

    assert small().resolve({"Fn::Sub": text}) == f"connect-zendesk-local/dev/contacts/{TABLE_ARN}/us-east-1"


def test_sub_keeps_escaped_literals() -> None:
    assert small().resolve({"Fn::Sub": "${!Literal}-${Env}-${!Table.Arn}"}) == "${Literal}-dev-${Table.Arn}"


def test_sub_list_form_uses_its_own_variables_first() -> None:
    sub = {
        "Fn::Sub": [
            "${Env}:${Name}:${Arn}",
            {"Env": "override", "Name": "x", "Arn": {"Fn::GetAtt": "Table.Arn"}},
        ]
    }

    assert small().resolve(sub) == f"override:x:{TABLE_ARN}"


def test_sub_with_unknown_name_raises_key_error() -> None:
    with pytest.raises(KeyError):
        small().resolve({"Fn::Sub": "${Nope}"})


# ----------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("parameters", "holds"),
    [
        ({}, {"IsProd": False, "HasKey": False, "ProdWithKey": False, "ProdOrKey": False}),
        ({"Env": "prod"}, {"IsProd": True, "HasKey": False, "ProdWithKey": False, "ProdOrKey": True}),
        ({"KmsKey": "arn:k"}, {"IsProd": False, "HasKey": True, "ProdWithKey": False, "ProdOrKey": True}),
        (
            {"Env": "prod", "KmsKey": "arn:k"},
            {"IsProd": True, "HasKey": True, "ProdWithKey": True, "ProdOrKey": True},
        ),
    ],
)
def test_conditions_from_parameters(parameters: dict[str, str], holds: dict[str, bool]) -> None:
    template = small(parameters=parameters)

    assert {name: template.condition_holds(name) for name in holds} == holds


def test_no_condition_always_holds() -> None:
    assert small().condition_holds(None) is True


def test_unknown_condition_raises_key_error() -> None:
    with pytest.raises(KeyError):
        small().condition_holds("Nope")


@pytest.mark.parametrize(("env", "expected"), [("prod", "protected"), ("dev", "open")])
def test_if_picks_the_branch_of_its_condition(env: str, expected: str) -> None:
    template = small(parameters={"Env": env})

    assert template.resolve({"Fn::If": ["IsProd", "protected", "open"]}) == expected


def test_if_resolves_only_the_chosen_branch() -> None:
    # The unused branch refers to something that does not exist: it must not be resolved.
    assert small().resolve({"Fn::If": ["IsProd", {"Ref": "Missing"}, {"Ref": "Env"}]}) == "dev"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Fn::Equals": [{"Ref": "Env"}, "dev"]}, True),
        ({"Fn::Equals": ["a", "b"]}, False),
        ({"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}, True),
        ({"Fn::And": [{"Fn::Equals": ["a", "a"]}, {"Fn::Equals": ["b", "c"]}]}, False),
        ({"Fn::Or": [{"Fn::Equals": ["a", "z"]}, {"Fn::Equals": ["b", "b"]}]}, True),
        ({"Condition": "IsProd"}, False),
    ],
)
def test_condition_functions(expression: dict[str, Any], expected: bool) -> None:
    assert small().resolve(expression) is expected


# ----------------------------------------------------------------------------- Join / Select / Split


def test_join_select_split() -> None:
    template = small()

    assert template.resolve({"Fn::Join": ["-", ["a", {"Ref": "Env"}, 3]]}) == "a-dev-3"
    assert template.resolve({"Fn::Join": ["", []]}) == ""
    assert template.resolve({"Fn::Split": [",", {"Ref": "Csv"}]}) == ["a", "b", "c"]
    assert template.resolve({"Fn::Select": [1, {"Fn::Split": [",", {"Ref": "Csv"}]}]}) == "b"
    assert template.resolve({"Fn::Select": ["2", ["x", "y", "z"]]}) == "z"
    assert template.resolve({"Fn::Join": [":", {"Fn::Split": [",", "p,q"]}]}) == "p:q"


def test_select_out_of_range_raises() -> None:
    with pytest.raises(IndexError):
        small().resolve({"Fn::Select": [5, ["x"]]})


# ----------------------------------------------------------------------------- AWS::NoValue


def test_no_value_removes_keys_and_list_items() -> None:
    value = {
        "Keep": "yes",
        "Gone": {"Ref": "AWS::NoValue"},
        "MaybeKey": {"Fn::If": ["HasKey", {"Ref": "KmsKey"}, {"Ref": "AWS::NoValue"}]},
        "Statements": [
            "first",
            {"Fn::If": ["IsProd", "prod-only", {"Ref": "AWS::NoValue"}]},
            {"Ref": "AWS::NoValue"},
            {"Nested": {"Ref": "AWS::NoValue"}, "Other": 1},
        ],
    }

    assert small().resolve(value) == {"Keep": "yes", "Statements": ["first", {"Other": 1}]}


def test_no_value_branch_kept_when_condition_holds() -> None:
    value = {"MaybeKey": {"Fn::If": ["HasKey", {"Ref": "KmsKey"}, {"Ref": "AWS::NoValue"}]}}

    assert small(parameters={"KmsKey": "arn:k"}).resolve(value) == {"MaybeKey": "arn:k"}


def test_plain_values_and_multi_key_dicts_pass_through() -> None:
    template = small()

    assert template.resolve(5) == 5
    assert template.resolve("text") == "text"
    assert template.resolve(None) is None
    assert template.resolve({"Ref": "Env", "Other": 1}) == {"Ref": "Env", "Other": 1}  # not an intrinsic
    assert template.resolve({"Plain": "x"}) == {"Plain": "x"}


# ----------------------------------------------------------------------------- resources and properties


def test_resources_of_type_honour_their_conditions() -> None:
    resources = {
        "Always": {"Type": "AWS::SQS::Queue"},
        "ProdOnly": {"Type": "AWS::SQS::Queue", "Condition": "IsProd"},
        "Other": {"Type": "AWS::SNS::Topic"},
    }

    assert set(small(Resources=resources).resources_of_type("AWS::SQS::Queue")) == {"Always"}
    prod = small(parameters={"Env": "prod"}, Resources=resources)
    assert set(prod.resources_of_type("AWS::SQS::Queue")) == {"Always", "ProdOnly"}


def test_properties_are_resolved_without_touching_the_document() -> None:
    resources = {
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-q"}, "Kms": {"Ref": "AWS::NoValue"}},
        },
        "Bare": {"Type": "AWS::SNS::Topic"},
        "Gone": {"Type": "AWS::SNS::Topic", "Properties": {"Ref": "AWS::NoValue"}},
    }
    template = small(Resources=resources)

    assert template.properties("Queue") == {"QueueName": "connect-zendesk-local-q"}
    assert template.properties("Bare") == {}
    assert template.properties("Gone") == {}
    assert resources["Queue"]["Properties"]["Kms"] == {"Ref": "AWS::NoValue"}


def test_real_template_table_properties_resolve(template: Template) -> None:
    props = template.properties("ContactsTable")

    assert props["KeySchema"] == [{"AttributeName": "contactId", "KeyType": "HASH"}]
    assert props["DeletionProtectionEnabled"] is False  # !If [IsProd, true, false] with Environment=dev


# ----------------------------------------------------------------------------- functions


def test_functions_need_provisioned_resources(template: Template) -> None:
    with pytest.raises(KeyError, match="not a resource the local stack has created"):
        template.functions()


def test_functions_apply_globals_and_resolve_the_created_secret(aws: Template) -> None:
    functions = aws.functions()

    # Every function folder is a function of the template, and nothing else is.
    folders = {p.name for p in (PROJECT_ROOT / "functions").iterdir() if (p / "app.py").is_file()}
    assert set(functions) == folders
    spec = functions["caller_lookup"]
    assert spec.logical_id == "CallerLookupFunction"
    assert spec.code_dir == (PROJECT_ROOT / "functions" / "caller_lookup").resolve()
    assert spec.code_dir.is_dir()
    assert spec.handler == "app.lambda_handler"
    assert spec.timeout == 8
    assert spec.memory_mb == 512
    env = spec.environment
    assert env["ENVIRONMENT"] == "dev"  # from Globals
    assert env["POWERTOOLS_SERVICE_NAME"] == "connect-zendesk"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert env["ZENDESK_SUBDOMAIN"] == "demo"  # from the function
    assert env["ZENDESK_SECRET_ARN"] == aws.physical["ZendeskApiTokenSecret"].ref
    assert env["ZENDESK_SECRET_ARN"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert env["CONTACTS_TABLE"] == aws.physical["ContactsTable"].ref
    assert env["FLOW_TIME_BUDGET_MS"] == "3000"
    assert all(isinstance(value, str) for value in env.values())
    assert functions["ticket_lookup"].environment == env  # the shared YAML anchor


def test_functions_use_an_existing_secret_when_one_is_given() -> None:
    template = Template.from_file(
        parameters={
            "ZendeskSubdomain": "acme",
            "ZendeskEmail": "a@example.com",
            "ExistingZendeskSecretArn": SECRET_ARN,
        }
    )
    for table in template.resources_of_type("AWS::DynamoDB::Table"):
        template.physical[table] = PhysicalResource(ref=table.lower())

    assert "ZendeskApiTokenSecret" not in template.resources_of_type("AWS::SecretsManager::Secret")
    assert template.function("caller_lookup").environment["ZENDESK_SECRET_ARN"] == SECRET_ARN


def test_function_lookup_by_folder_name_or_logical_id(aws: Template) -> None:
    by_folder = aws.function("ticket_lookup")
    by_logical_id = aws.function("TicketLookupFunction")

    assert by_folder == by_logical_id
    assert by_folder.name == "ticket_lookup"


def test_unknown_function_raises_key_error_listing_the_known_ones(aws: Template) -> None:
    with pytest.raises(KeyError, match=r"no function 'nope'.*caller_lookup.*ticket_lookup"):
        aws.function("nope")


def test_function_defaults_without_globals() -> None:
    resources = {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/x/"}}}

    spec = small(Resources=resources).function("x")

    assert (spec.handler, spec.timeout, spec.memory_mb, spec.environment) == (
        "app.lambda_handler",
        3,
        128,
        {},
    )


def test_function_properties_override_globals() -> None:
    globals_ = {
        "Function": {
            "Handler": "main.handle",
            "Timeout": 8,
            "MemorySize": 256,
            "Environment": {"Variables": {"SHARED": {"Ref": "Env"}, "LEVEL": "INFO"}},
        }
    }
    resources = {
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/x",
                "Timeout": {"Ref": "Budget"},
                "Environment": {"Variables": {"LEVEL": "DEBUG", "BUDGET": {"Ref": "Budget"}}},
            },
        },
        "ProdOnly": {
            "Type": "AWS::Serverless::Function",
            "Condition": "IsProd",
            "Properties": {"CodeUri": "p"},
        },
    }

    template = small(Globals=globals_, Resources=resources)
    spec = template.function("Fn")

    assert set(template.functions()) == {"x"}
    assert spec.handler == "main.handle"
    assert spec.timeout == 3000
    assert spec.memory_mb == 256
    assert spec.environment == {"SHARED": "dev", "LEVEL": "DEBUG", "BUDGET": "3000"}


def test_equals_compares_as_strings_like_cloudformation_parameters() -> None:
    template = Template({"Parameters": {"Budget": {"Type": "Number", "Default": 3000}}})
    assert template.resolve({"Fn::Equals": [{"Ref": "Budget"}, 3000]}) is True


def test_find_in_map_reads_the_templates_mappings() -> None:
    template = Template({"Mappings": {"Limits": {"prod": {"Rate": "10"}}}})
    assert template.resolve({"Fn::FindInMap": ["Limits", "prod", "Rate"]}) == "10"


@pytest.mark.parametrize("intrinsic", ["Fn::ImportValue", "Fn::GetAZs", "Fn::Base64"])
def test_intrinsics_without_a_local_meaning_fail_loudly(intrinsic: str) -> None:
    with pytest.raises(ValueError, match="no local meaning"):
        Template({}).resolve({intrinsic: "x"})


# ---------------------------------------------------------------------------- nested stacks
def test_every_nested_application_of_template_yaml_is_a_local_stack_file() -> None:
    paths = nested_stack_paths(load_template())

    assert set(paths) == {"SelfServiceBotStack", "ContactFlowsStack", "AnalyticsViewsStack"}
    assert all(path.parent == STACKS_DIR and path.is_file() for path in paths.values())
    assert load_nested_stack("ContactFlowsStack") == load_template(STACKS_DIR / "contact_flows.yaml")


def test_a_nested_stack_gets_the_parameters_its_parent_passes() -> None:
    # Given the parent's Glue database created locally
    parent = Template.from_file(parameters={"ZendeskSubdomain": "demo", "ZendeskEmail": "agent@example.com"})
    parent.physical["AnalyticsDatabase"] = PhysicalResource("connect_zendesk_local")

    # When the views stack is read as its own template
    views = parent.nested("AnalyticsViewsStack")

    # Then its references resolve against what the parent passed it
    assert views.parameters == {"AnalyticsDatabase": "connect_zendesk_local"}
    first = next(iter(views.resources_of_type("AWS::Glue::Table")))
    database = views.resources[first]["Properties"]["DatabaseName"]
    assert views.resolve(database) == "connect_zendesk_local"
    assert views.stack_name == "connect-zendesk-local-AnalyticsViewsStack"


def test_a_nested_stack_the_parent_leaves_out_cannot_be_read() -> None:
    child = {
        "Type": "AWS::Serverless::Application",
        "Condition": "IsProd",
        "Properties": {
            "Location": "stacks/analytics_views.yaml",
            "Parameters": {"AnalyticsDatabase": {"Ref": "Env"}},
        },
    }
    parent = small(Resources={"Child": child, "Table": {"Type": "AWS::DynamoDB::Table"}})

    with pytest.raises(KeyError, match="not a nested application"):
        parent.nested("Child")  # Env is dev: the condition leaves it out
    with pytest.raises(KeyError, match="not a nested application"):
        parent.nested("Table")
    assert small({"Env": "prod"}, Resources={"Child": child}).nested("Child").parameters == {
        "AnalyticsDatabase": "prod"
    }
