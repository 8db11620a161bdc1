//! The files the runner reads for the console: what the Bytes (file)
//! serializer sends, checked before it is opened so that no read can block.

use std::io::Read;

/// The largest file Bytes (file) sends: well above Kafka's default record
/// limit (1 MB), and small enough to hold and decode for every record of a
/// burst.
pub const FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// A regular file's bytes, up to FILE_LIMIT. Anything else is refused
/// before it is opened: a FIFO or a terminal would block the read for good.
pub fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let name = "Bytes (file)";
    if path.is_empty() {
        return Err(format!("{name}: type the path of a file to send"));
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: cannot read {path}: {e}"))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if is_fifo(&kind) {
            "a FIFO"
        } else {
            "a device or other special file"
        };
        return Err(format!(
            "{name}: {path} is {what}; only a regular file is sent"
        ));
    }
    if meta.len() > FILE_LIMIT {
        return Err(format!(
            "{name}: {path} is {} bytes, over the limit of {} MiB",
            meta.len(),
            FILE_LIMIT / 1024 / 1024
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{name}: cannot read {path}: {e}"))?;
    // It may have grown since it was looked at.
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(format!(
            "{name}: {path} is over the limit of {} MiB",
            FILE_LIMIT / 1024 / 1024
        ));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_fifo(kind: &std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(kind)
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}
