//! STUB: resolves bare PCs against a program binary.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SymbolizeError {
    #[error("cannot read binary {path}: {detail}")]
    Unreadable { path: PathBuf, detail: String },
}

pub struct Resolver;

impl Resolver {
    pub fn open(path: &Path) -> Result<Resolver, SymbolizeError> {
        Err(SymbolizeError::Unreadable { path: path.into(), detail: "not written yet".into() })
    }

    /// Function, file and line of `pc`.
    pub fn resolve(&self, _pc: u64) -> Option<(String, String, u32)> {
        None
    }
}
