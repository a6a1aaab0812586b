//! Reading a values file the pipeline file names. Its text reaches the screen (shown values, the
//! review, an environment's detail, `status --json`), and a pipeline file is written by whoever
//! can push to the repository, so only a regular file inside the pipeline file's folder is read,
//! and at most [`MAX_BYTES`] of it. That folder, not the repository root, is the boundary: it is
//! the only root Sluice knows on disk (`github.directory` says where it sits in the repository,
//! not where the repository is on this machine), and every values file of a pipeline lives
//! beside it.
//!
//! Validation and every later read go through [`read`]: the file can change after validation.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::error::UiError;
use crate::text::is_control_or_bidi;

/// Helm values files are a few KiB; 1 MiB leaves room for large ones while a mistaken path (a
/// log, a disk image, a file that keeps growing) cannot fill memory.
pub const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ValuesFileError {
    #[error("values file `{written}` is not a relative path")]
    NotRelative { written: String },
    #[error("values file `{written}` leaves the pipeline file's folder with `..`")]
    Climbs { written: String },
    #[error("the values file's path contains a control or bidirectional formatting character")]
    ControlCharacter,
    #[error(
        "values file `{written}` is a link to {}, outside the pipeline file's folder",
        target.display()
    )]
    LinksOutside { written: String, target: PathBuf },
    #[error("values file `{written}` is {kind}, not a regular file")]
    NotAFile { written: String, kind: &'static str },
    #[error("values file `{written}` is larger than 1 MiB")]
    TooLarge { written: String },
    #[error("values file `{}` cannot be read ({source})", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ValuesFileError {
    /// The file (or a folder on its path) does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Unreadable { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NotRelative { .. } | Self::Climbs { .. } | Self::LinksOutside { .. } => {
                "values.outside-folder"
            }
            Self::ControlCharacter => "values.bad-path",
            Self::NotAFile { .. } => "values.not-a-file",
            Self::TooLarge { .. } => "values.too-large",
            Self::Unreadable { .. } => "values.unreadable",
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            Self::NotRelative { .. } => {
                "Write the path relative to the pipeline file, e.g. `valuesFile: values-prod.yaml`: values files are read only from inside the pipeline file's folder."
            }
            Self::Climbs { .. } => {
                "Keep the values file inside the pipeline file's folder (or a folder below it) and name it without `..`."
            }
            Self::ControlCharacter => {
                "Write the path without control characters or bidirectional formatting characters."
            }
            Self::LinksOutside { .. } => {
                "Put the file itself there, or a link to a file inside the pipeline file's folder: values files are read only from inside it."
            }
            Self::NotAFile { .. } => {
                "Point `valuesFile` at a regular file: a FIFO, device or folder cannot be a values file."
            }
            Self::TooLarge { .. } => {
                "Values files are limited to 1 MiB: point `valuesFile` at the chart's Helm values file."
            }
            Self::Unreadable { .. } => {
                "Check that the values file exists, is readable and is UTF-8 text."
            }
        }
    }
}

impl From<&ValuesFileError> for UiError {
    fn from(e: &ValuesFileError) -> Self {
        UiError::new(e.code(), e.to_string(), e.hint())
    }
}

/// Whether the path as written may name a values file: relative, without `..`, without
/// control characters. Says nothing about the file itself.
pub fn check_written(written: &str) -> Result<(), ValuesFileError> {
    if written.chars().any(is_control_or_bidi) {
        return Err(ValuesFileError::ControlCharacter);
    }
    for component in Path::new(written).components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(ValuesFileError::Climbs {
                    written: written.to_owned(),
                });
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(ValuesFileError::NotRelative {
                    written: written.to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// The text of the values file `written` (as the pipeline file says it) in `pipeline_dir`.
pub fn read(pipeline_dir: &Path, written: &str) -> Result<String, ValuesFileError> {
    check_written(written)?;
    let dir = if pipeline_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        pipeline_dir
    };
    let path = dir.join(written);
    let unreadable = |source| ValuesFileError::Unreadable {
        path: path.clone(),
        source,
    };
    // Links are followed to where they lead, which must still be inside the folder.
    let root = dir.canonicalize().map_err(unreadable)?;
    let resolved = path.canonicalize().map_err(unreadable)?;
    if !resolved.starts_with(&root) {
        return Err(ValuesFileError::LinksOutside {
            written: written.to_owned(),
            target: resolved,
        });
    }
    let not_a_file = |kind: std::fs::FileType| ValuesFileError::NotAFile {
        written: written.to_owned(),
        kind: kind_of(kind),
    };
    // Checked before opening: opening a FIFO for reading waits for a writer.
    let kind = std::fs::metadata(&resolved)
        .map_err(unreadable)?
        .file_type();
    if !kind.is_file() {
        return Err(not_a_file(kind));
    }
    let file = open_without_waiting(&resolved).map_err(unreadable)?;
    // And after: the path may name another file by now; what was opened is what is read.
    let kind = file.metadata().map_err(unreadable)?.file_type();
    if !kind.is_file() {
        return Err(not_a_file(kind));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(ValuesFileError::TooLarge {
            written: written.to_owned(),
        });
    }
    String::from_utf8(bytes)
        .map_err(|e| unreadable(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// Non-blocking, so that a FIFO put there after the check cannot hold the read; not following
/// a link that replaced the (already resolved) file since.
#[cfg(unix)]
pub(super) fn open_without_waiting(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
pub(super) fn open_without_waiting(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

fn kind_of(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "not a plain file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_that_stay_below_the_folder_are_written() {
        for ok in ["values.yaml", "./values.yaml", "env/prod/values.yaml"] {
            assert!(check_written(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("/etc/passwd", "values.outside-folder"),
            ("../sim/kubeconfig", "values.outside-folder"),
            ("env/../../x.yaml", "values.outside-folder"),
            ("env/../values.yaml", "values.outside-folder"),
            ("values\0.yaml", "values.bad-path"),
            ("values\u{202e}lmay.yaml", "values.bad-path"),
        ] {
            assert_eq!(check_written(bad).unwrap_err().code(), code, "{bad:?}");
        }
    }

    #[test]
    fn a_file_growing_past_the_cap_is_read_no_further() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("big.yaml"),
            vec![b'#'; MAX_BYTES as usize + 10],
        )
        .unwrap();
        let e = read(dir.path(), "big.yaml").unwrap_err();
        assert_eq!(e.code(), "values.too-large", "{e}");
        std::fs::write(dir.path().join("max.yaml"), vec![b'#'; MAX_BYTES as usize]).unwrap();
        assert_eq!(
            read(dir.path(), "max.yaml").unwrap().len() as u64,
            MAX_BYTES
        );
    }

    #[test]
    fn a_missing_file_says_so_and_a_folder_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path(), "nope.yaml").unwrap_err().is_missing());
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let e = read(dir.path(), "sub").unwrap_err();
        assert_eq!(e.code(), "values.not-a-file");
        assert!(e.to_string().contains("a folder"), "{e}");
    }
}
