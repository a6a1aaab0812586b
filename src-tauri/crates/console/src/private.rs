//! Files only this user may read: the audit journal and the logs name clusters, people and
//! releases. Folders are created 0700 and files 0600; ones found looser (an older version, a
//! copy) are tightened. Elsewhere than Unix the platform's per-user folders already are.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

/// Creates `dir` (and its missing parents) readable by the user only.
pub(crate) fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Takes group and other access away from `path` (a file or folder this user owns) when it has
/// any, leaving `mode`. Not being able to is logged, never fatal: the journal must still be
/// written.
pub(crate) fn tighten(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.permissions().mode() & 0o077 == 0 {
            return;
        }
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            tracing::warn!(path = %path.display(), error = %e,
                "cannot make this private (others may read it)");
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Options that create a file readable and writable by the user only.
pub(crate) fn file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates (or truncates) `path` for writing, readable and writable by the user only.
pub(crate) fn create_file(path: &Path) -> io::Result<std::fs::File> {
    let file = file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    tighten(path, 0o600);
    Ok(file)
}
