//! Static files are served from their compressed copies (`name.br`, `name.gz`, written by
//! `scripts/build-release`) when the browser accepts them. A copy left from an earlier build
//! would give the browser an old WASM beside a new page, so at start every copy older than
//! its file is removed; if that cannot be done the server does not start. (A `.br` or `.gz`
//! file with no file beside it is not a copy, and is left alone.)

use anyhow::Context;
use std::path::Path;

/// Removes the stale compressed copies under `root` and returns how many there were.
pub fn drop_stale(root: &Path) -> anyhow::Result<usize> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        // A server started without a front-end build serves no static files.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("reading {}", root.display())),
    };
    let mut dropped = 0;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        // Not through links: the site's own folders only.
        if entry.file_type()?.is_dir() {
            dropped += drop_stale(&path)?;
            continue;
        }
        let is_copy = matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"));
        if is_copy && stale(&path, &path.with_extension(""))? {
            match std::fs::remove_file(&path) {
                Ok(()) => dropped += 1,
                // Another server starting over the same files removed it first.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "{} is older than the file it compresses and cannot be removed: \
                             rebuild with scripts/build-release",
                            path.display()
                        )
                    })
                }
            }
        }
    }
    Ok(dropped)
}

/// Whether `copy` is older than `original`; not when either is gone (another server starting
/// over the same files may be removing it).
fn stale(copy: &Path, original: &Path) -> anyhow::Result<bool> {
    let modified = |p: &Path| match std::fs::metadata(p).and_then(|m| m.modified()) {
        Ok(time) => Ok(Some(time)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading the time of {}", p.display())),
    };
    Ok(match (modified(copy)?, modified(original)?) {
        (Some(copy), Some(original)) => copy < original,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::time::{Duration, SystemTime};

    fn write(path: &Path, age: Duration) {
        std::fs::write(path, b"x").unwrap();
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(SystemTime::now() - age)
            .unwrap();
    }

    #[test]
    fn copies_older_than_their_file_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        let hour = Duration::from_secs(3600);
        // The WASM was rebuilt without compressed copies: both copies are an hour older.
        write(&pkg.join("app.wasm"), Duration::ZERO);
        write(&pkg.join("app.wasm.br"), hour);
        write(&pkg.join("app.wasm.gz"), hour);
        // The JS and its copies come from the same build.
        write(&pkg.join("app.js"), hour);
        write(&pkg.join("app.js.br"), hour);
        write(&pkg.join("app.js.gz"), Duration::ZERO);
        // Not a copy: nothing beside it.
        write(&dir.path().join("archive.gz"), hour);

        assert_eq!(drop_stale(dir.path()).unwrap(), 2);
        let mut left: Vec<String> = std::fs::read_dir(&pkg)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["app.js", "app.js.br", "app.js.gz", "app.wasm"]);
        assert!(dir.path().join("archive.gz").exists());
        // Nothing more to do the next time.
        assert_eq!(drop_stale(dir.path()).unwrap(), 0);
    }

    #[test]
    fn a_site_not_built_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(drop_stale(&dir.path().join("site")).unwrap(), 0);
    }
}
