//! The loader's contract: user files load, and every malformed file is an error naming the
//! file and the field, never a panic.

use std::path::{Path, PathBuf};

use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::{Scenario, ScenarioSet};

/// A fresh directory holding one file `name` with `contents`.
fn dir_with(tag: &str, name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sg-scn-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), contents).unwrap();
    dir
}

/// Loads `contents` as file `name` of a directory and returns the error, checking that it
/// starts with the file's path and that nothing was added.
fn refused(tag: &str, name: &str, contents: &[u8]) -> String {
    let dir = dir_with(tag, name, contents);
    let mut set = ScenarioSet::default();
    let err = set
        .load_dir(&dir)
        .expect_err("a malformed file must be refused");
    let path = dir.join(name);
    assert!(
        err.starts_with(&path.display().to_string()),
        "the error names the file: {err}"
    );
    assert!(set.by_name.is_empty(), "nothing is added: {err}");
    // The same through the set a server loads.
    let full = ScenarioSet::load(Some(&dir)).expect_err("serve refuses it too");
    assert_eq!(full, err);
    std::fs::remove_dir_all(&dir).unwrap();
    err
}

const OK_TOML: &str = "name = \"mine\"\ndescription = \"d\"\n[[steps]]\ndo = \"tokens\"\ntokens = [\"a\"]\n[expect]\noutcome = \"complete\"\n";

#[test]
fn load_dir_accepts_user_files() {
    let dir = dir_with(
        "ok",
        "mine.json",
        br#"{"name":"mine","description":"d","steps":[{"do":"tokens","tokens":["a"]},{"do":"done"}],
           "expect":{"outcome":"complete"}}"#,
    );
    std::fs::write(dir.join("other.toml"), OK_TOML.replace("mine", "other")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a scenario, skipped").unwrap();
    let mut set = ScenarioSet::default();
    assert_eq!(set.load_dir(&dir).unwrap(), 2);
    assert_eq!(set.get("mine").unwrap().expected_text(), "a");
    assert!(set.get("other").is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_non_ascii_hex_digit_is_an_error_not_a_panic() {
    let toml = "name = \"h\"\ndescription = \"d\"\n[[steps]]\ndo = \"tokens\"\ntokens = [\"a\"]\n[[steps]]\ndo = \"send\"\nhex = \"aé1\"\n[expect]\noutcome = \"complete\"\n";
    let err = refused("hex", "h.toml", toml.as_bytes());
    assert!(
        err.ends_with("h.toml: steps[1].hex: 'é' is not a hex digit"),
        "{err}"
    );
    let err = refused(
        "hex-json",
        "h.json",
        br#"{"name":"h","description":"d","steps":[{"do":"send","hex":"0g"}],"expect":{"outcome":"complete"}}"#,
    );
    assert!(
        err.ends_with("steps[0].hex: 'g' is not a hex digit"),
        "{err}"
    );
    let err = refused("hex-odd", "h.toml", toml.replace("aé1", "a b c").as_bytes());
    assert!(err.contains("steps[1].hex: Odd number of digits"), "{err}");
}

#[test]
fn a_wrong_type_names_the_field_and_the_line() {
    let err = refused(
        "type",
        "t.toml",
        OK_TOML
            .replace("[[steps]]", "status = \"ok\"\n[[steps]]")
            .as_bytes(),
    );
    assert!(
        err.contains("t.toml:3:10: status: invalid type: string \"ok\", expected u16"),
        "{err}"
    );
    // Inside a step: the step, and the line of its table.
    let err = refused(
        "type-step",
        "t.toml",
        OK_TOML
            .replace("tokens = [\"a\"]", "gap_ms = \"x\"")
            .as_bytes(),
    );
    assert!(
        err.contains("t.toml:3:1: steps[0]: invalid type: string \"x\", expected u64"),
        "{err}"
    );
    let err = refused(
        "type-json",
        "t.json",
        br#"{"name":"t","description":"d","status":"ok","expect":{"outcome":"complete"}}"#,
    );
    assert!(
        err.contains("t.json:1:43: status: invalid type: string \"ok\", expected u16"),
        "{err}"
    );
}

#[test]
fn an_unknown_field_is_named() {
    let err = refused("field", "u.toml", format!("wat = 1\n{OK_TOML}").as_bytes());
    assert!(
        err.contains("u.toml:1:1: wat: unknown field `wat`"),
        "{err}"
    );
    let err = refused(
        "field-expect",
        "u.toml",
        format!("{OK_TOML}outcom = \"x\"\n").as_bytes(),
    );
    assert!(
        err.contains("expect.outcom") || err.contains("unknown field `outcom`"),
        "{err}"
    );
    let err = refused(
        "field-json",
        "u.json",
        br#"{"name":"u","description":"d","client":{"frame":false},"expect":{"outcome":"complete"}}"#,
    );
    assert!(err.contains("client.frame: unknown field `frame`"), "{err}");
}

#[test]
fn an_unknown_fault_or_step_is_named() {
    let err = refused(
        "fault",
        "f.toml",
        format!("{OK_TOML}[[faults]]\ntype = \"nope\"\n").as_bytes(),
    );
    assert!(
        err.contains("f.toml:9:8: faults[0].type: unknown variant `nope`"),
        "{err}"
    );
    let err = refused(
        "fault-json",
        "f.json",
        br#"{"name":"f","description":"d","faults":[{"type":"rechunk","sise":7}],"expect":{"outcome":"complete"}}"#,
    );
    assert!(err.contains("faults[0]: unknown field `sise`"), "{err}");
    let err = refused(
        "step",
        "s.toml",
        OK_TOML.replace("\"tokens\"", "\"tokenz\"").as_bytes(),
    );
    assert!(
        err.contains("s.toml:4:6: steps[0].do: unknown variant `tokenz`"),
        "{err}"
    );
}

#[test]
fn invalid_utf8_and_empty_files_are_refused() {
    let mut bytes = OK_TOML.as_bytes().to_vec();
    bytes.splice(8..8, [0xff, 0xfe]);
    let err = refused("utf8", "b.toml", &bytes);
    assert!(
        err.ends_with("b.toml: not UTF-8 (an invalid byte at offset 8)"),
        "{err}"
    );
    let err = refused("utf8-json", "b.json", b"{\"name\": \"\xc3\"}");
    assert!(err.contains("not UTF-8"), "{err}");
    for name in ["e.toml", "e.json"] {
        let err = refused("empty", name, b"");
        assert!(
            err.ends_with(&format!("{name}: the file is empty")),
            "{err}"
        );
        let err = refused("blank", name, b" \n\n");
        assert!(err.ends_with("the file is empty"), "{err}");
    }
}

#[test]
fn syntax_errors_and_invalid_values_are_named() {
    let err = refused("syntax", "x.json", br#"{"name": "x", "#);
    assert!(err.contains("x.json:1:"), "{err}");
    let err = refused("syntax-toml", "x.toml", b"name = \n");
    assert!(err.contains("x.toml:1:"), "{err}");
    let err = refused("missing", "m.toml", b"name = \"m\"\ndescription = \"d\"\n");
    assert!(err.contains("missing field `expect`"), "{err}");
    let err = refused(
        "outcome",
        "o.toml",
        b"name = \"o\"\ndescription = \"d\"\n[expect]\n",
    );
    assert!(
        err.ends_with("o.toml: expect.outcome: missing (the outcome a correct client reports)"),
        "{err}"
    );
    let err = refused(
        "proto",
        "p.toml",
        OK_TOML
            .replace("[[steps]]", "protocol = \"grpc\"\n[[steps]]")
            .as_bytes(),
    );
    assert!(
        err.contains("p.toml: protocol: unknown protocol \"grpc\""),
        "{err}"
    );
    let err = refused(
        "name",
        "n.toml",
        OK_TOML.replace("\"mine\"", "\"a b\"").as_bytes(),
    );
    assert!(
        err.contains("n.toml: name: \"a b\" is not a scenario name"),
        "{err}"
    );
    let fill = "name = \"f\"\ndescription = \"d\"\n[[steps]]\ndo = \"fill\"\nbyte = \"é\"\nbytes = 3\n[expect]\noutcome = \"complete\"\n";
    let err = refused("fill", "f.toml", fill.as_bytes());
    assert!(
        err.contains("steps[0].byte: must be one ASCII character"),
        "{err}"
    );
}

#[test]
fn parse_names_the_field_without_a_file() {
    let err = Scenario::parse("name = 1\n", false).unwrap_err();
    assert!(
        err.starts_with("1:8: name: invalid type: integer `1`"),
        "{err}"
    );
    assert!(Path::new("x.yaml").extension().is_some());
    let err = Scenario::parse_file(Path::new("x.yaml"), b"").unwrap_err();
    assert_eq!(err, "x.yaml: not a .toml or .json file");
}

#[test]
fn text_defaults_to_the_tokens() {
    let sc = Scenario::parse(
        "name = \"t\"\ndescription = \"d\"\n[[steps]]\ndo = \"tokens\"\ntext = \"a b c\"\n[expect]\noutcome = \"complete\"\n",
        false,
    )
    .unwrap();
    assert_eq!(sc.expected_text(), "a b c");
    let mut rng = SmallRng::seed_from_u64(1);
    let plan = sc.compile(&mut rng);
    // head, 3 events, close
    assert_eq!(plan.len(), 5);
}
