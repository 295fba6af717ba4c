"""Every example in docs/dsl.md is a complete network that symcnn accepts, and its claims hold."""

import re
from pathlib import Path

import pytest

import symcnn
from symcnn.claims import check_claims

DSL_DOC = (Path(__file__).resolve().parent.parent / "docs" / "dsl.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"^```cnn\n(.*?)^```$", DSL_DOC, re.DOTALL | re.MULTILINE)


def test_the_document_has_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("text", EXAMPLES, ids=[f"example{i + 1}" for i in range(len(EXAMPLES))])
def test_example_derives_and_its_claims_hold(text):
    network = symcnn.loads(text, file="docs/dsl.md")
    assert network.rows
    assert all(result.ok for result in check_claims(network))


def test_every_layer_keyword_is_documented():
    from symcnn.layers import REGISTRY

    missing = [keyword for keyword in REGISTRY if f"`{keyword}`" not in DSL_DOC]
    assert missing == []
