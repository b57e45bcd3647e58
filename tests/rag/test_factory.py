import pytest

from unirag.rag.encoders import registered_only
from unirag.rag.factory import build, from_config

REGISTRY = {"hash": "unirag.rag.encoders.hashing.HashEncoder",
            "features": "unirag.rag.rerank.features.FeatureReranker"}


def test_registered_name_with_checked_options():
    assert build("encoder", "hash", REGISTRY, {"dim": 16}).dim == 16
    assert from_config("encoder", {"name": "hash", "dim": 16}, REGISTRY).dim == 16


@pytest.mark.parametrize("options, message", [
    ({"dimension": 16}, r"unknown option 'dimension'; expected some of \['dim'\]"),
    ({"dim": "16"}, r"option 'dim' expected int, got '16'"),
    ({"dim": True}, r"option 'dim' expected int, got True"),
    ({"dim": object()}, r"option 'dim' expected a plain value"),
    ({"allow_imports": True}, r"'allow_imports' is not a component option"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        build("encoder", "hash", REGISTRY, options)


def test_optional_mapping_annotations_accept_mappings_and_none():
    assert build("reranker", "features", REGISTRY, {"weights": None}).name == "features"
    with pytest.raises(ValueError, match="option 'weights' expected"):
        build("reranker", "features", REGISTRY, {"weights": [1.0]})


@pytest.mark.parametrize("name", ["subprocess.Popen", "os.system", "builtins.eval"])
def test_dotted_paths_need_the_opt_in(name):
    with pytest.raises(ValueError, match="dotted class path is imported only"):
        build("encoder", name, REGISTRY, {})


def test_unknown_and_non_text_names_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown encoder 'nope': expected one of \['features', 'hash'\]"):
        build("encoder", "nope", REGISTRY)
    with pytest.raises(ValueError, match="expected a name"):
        from_config("encoder", {"name": ["hash"]}, REGISTRY)
    with pytest.raises(ValueError, match="expected a mapping"):
        from_config("encoder", "hash", REGISTRY)


@pytest.mark.parametrize("config", [
    {"name": "os.system"},
    {"name": "composite", "parts": [{"encoder": {"name": "builtins.eval"}}]},
    {"name": 3},
    ["text"],
])
def test_stored_encoder_configs_name_registered_encoders_only(config):
    with pytest.raises(ValueError, match="store S"):
        registered_only(config, "store S")
