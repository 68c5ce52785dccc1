//! The real Anki library (the `anki` package from PyPI), driven by the Python scripts in
//! `tests/anki/`. Without it the Anki tests skip loudly, unless `CI` is set: then they fail.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// The Python interpreter to use (`AMGI_TEST_PYTHON`, default `python3`).
fn python() -> String {
    std::env::var("AMGI_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether `import anki` works; `false` (after a loud message) only when `CI` is unset.
pub fn available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import anki.collection"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set and the Python `anki` package is missing: pip install anki");
        }
        eprintln!(
            "\n!!!!! SKIPPING Anki test: the Python `anki` package is missing (pip install anki).\n\
             !!!!! With CI=1 this fails.\n"
        );
    }
    ok
}

/// Runs `tests/anki/SCRIPT` with `args`; its stdout parsed as JSON.
pub fn run(script: &str, args: &[&Path]) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/anki")
        .join(script);
    let out = Command::new(python())
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
